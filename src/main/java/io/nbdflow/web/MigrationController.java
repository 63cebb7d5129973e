package io.nbdflow.web;

import io.nbdflow.process.DiskList;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.Vars;

import io.nbdflow.host.QemuInstance;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.MigrationStatus;
import io.nbdflow.migration.MirrorJobs;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The migration API of the contract: a thin door to the engine (the same process can be started
 * through /engine-rest). Progress is read live from QEMU, not from variables rewritten per second.
 */
@RestController
public class MigrationController {
    private final RuntimeService runtime;
    private final HistoryService history;
    private final MigrationResources r;
    private final IdentityService identity;

    public MigrationController(RuntimeService runtime, HistoryService history, MigrationResources resources,
                               IdentityService identity) {
        this.runtime = runtime;
        this.history = history;
        this.r = resources;
        this.identity = identity;
    }

    public record MigrateRequest(String destinationHost, String copyStorage, String migrateDisks, Boolean tunnelled,
                                 Long bandwidthMiBps, Boolean approveSwitchover) {
    }

    @PostMapping("/api/domains/{name}/migrate")
    @ResponseStatus(HttpStatus.CREATED)
    public Map<String, String> migrate(@PathVariable String name, @RequestBody MigrateRequest request) {
        Map<String, Object> vars = new HashMap<>();
        vars.put(Vars.DOMAIN, name);
        putIfPresent(vars, Vars.DESTINATION_HOST, request.destinationHost());
        putIfPresent(vars, Vars.COPY_STORAGE, request.copyStorage());
        putIfPresent(vars, Vars.MIGRATE_DISKS, request.migrateDisks());
        vars.put(Vars.TUNNELLED, Boolean.TRUE.equals(request.tunnelled()));
        vars.put(Vars.BANDWIDTH_MIBPS, request.bandwidthMiBps() == null ? 0L : request.bandwidthMiBps());
        vars.put(Vars.APPROVE_SWITCHOVER, Boolean.TRUE.equals(request.approveSwitchover()));
        ProcessInstance pi = runtime.startProcessInstanceByKey(Bpmn.PROCESS_KEY, name, vars);
        return Map.of("processInstanceId", pi.getId());
    }

    private static void putIfPresent(Map<String, Object> vars, String name, Object value) {
        if (value != null) {
            vars.put(name, value);
        }
    }

    /**
     * Asks a migration to stop and roll back. Refused once the switchover has begun: from there the
     * guest lives on the destination and nothing is rolled back.
     */
    @PostMapping("/api/migrations/{id}/abort")
    @ResponseStatus(HttpStatus.ACCEPTED)
    public Map<String, Object> abort(@PathVariable String id) {
        if (history.createHistoricProcessInstanceQuery().processInstanceId(id).processDefinitionKey(Bpmn.PROCESS_KEY)
                .count() == 0) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no migration " + id);
        }
        if (runtime.createProcessInstanceQuery().processInstanceId(id).count() == 0) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, "migration " + id + " has already ended");
        }
        boolean pastSwitchover = Bpmn.PAST_SWITCHOVER.stream().anyMatch(activity -> history.createHistoricActivityInstanceQuery()
                .processInstanceId(id).activityId(activity).count() > 0);
        if (pastSwitchover) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, "migration " + id
                    + " is past the switchover: the guest runs on the destination, nothing is rolled back");
        }
        var auth = identity.getCurrentAuthentication();
        runtime.createMessageCorrelation(Bpmn.MESSAGE_ABORT).processInstanceId(id)
                .setVariable("abortedBy", auth == null ? "an API user" : auth.getUserId()).correlateWithResult();
        return Map.of("processInstanceId", id, "abortRequested", true);
    }

    @GetMapping("/api/migrations/{id}")
    public Map<String, Object> status(@PathVariable String id) {
        HistoricProcessInstance hpi = history.createHistoricProcessInstanceQuery().processInstanceId(id).singleResult();
        if (hpi == null || !Bpmn.PROCESS_KEY.equals(hpi.getProcessDefinitionKey())) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no migration " + id);
        }
        Map<String, Object> vars = new HashMap<>();
        for (HistoricVariableInstance v : history.createHistoricVariableInstanceQuery().processInstanceId(id).list()) {
            vars.put(v.getName(), v.getValue());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("processInstanceId", id);
        out.put("domain", vars.get(Vars.DOMAIN));
        out.put("destinationHost", vars.get(Vars.DESTINATION_HOST));
        boolean ended = hpi.getEndTime() != null;
        out.put("phase", ended ? "ended" : phase(id));
        out.put("storageTransport", vars.get(Vars.STORAGE_TRANSPORT));
        out.put("disks", ended ? List.of() : disks(vars));
        out.put("ram", ended ? null : ram(vars));
        for (String name : List.of(Vars.OUTCOME, Vars.FAILURE_REASON, Vars.DOWNTIME_MS, Vars.TOTAL_TIME_MS,
                Vars.BYTES_MIRRORED)) {
            out.put(name, vars.get(name));
        }
        return out;
    }

    /** The names of the activities the instance is in now, e.g. "Wait for steady state". */
    private String phase(String id) {
        List<String> names = history.createHistoricActivityInstanceQuery().processInstanceId(id).unfinished()
                .list().stream().map(a -> a.getActivityName() == null ? a.getActivityId() : a.getActivityName())
                .distinct().toList();
        // before the first step's job has run, no activity has begun yet
        return names.isEmpty() ? "starting" : String.join(", ", names);
    }

    private Optional<QmpClient> sourceMonitor(Map<String, Object> vars) {
        try {
            Object host = vars.get(Vars.SOURCE_HOST);
            if (host == null) {
                return Optional.empty();
            }
            Optional<QemuInstance> q = r.processes().find(r.hosts().get(host.toString()), (String) vars.get(Vars.DOMAIN));
            return q.isEmpty() ? Optional.empty() : Optional.of(r.monitors().get(q.get()));
        } catch (QmpException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private List<Map<String, Object>> disks(Map<String, Object> vars) {
        List<Map<String, Object>> out = new ArrayList<>();
        Optional<QmpClient> qmp = sourceMonitor(vars);
        List<BlockJob> jobs = List.of();
        if (qmp.isPresent()) {
            try {
                jobs = SourceSide.mirrorJobs(qmp.get());
            } catch (QmpException ignored) {
                // progress is best effort
            }
        }
        for (String target : new DiskList().of((String) vars.get(Vars.DISKS_TO_COPY))) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("target", target);
            Optional<BlockJob> job = jobs.stream().filter(j -> j.id().equals(MirrorJobs.jobId(target))).findFirst();
            d.put("bytesCopied", job.map(BlockJob::offset).orElse(0L));
            d.put("bytesTotal", job.map(BlockJob::length).orElse(0L));
            d.put("ready", job.map(BlockJob::ready).orElse(false));
            out.add(d);
        }
        return out;
    }

    private Map<String, Object> ram(Map<String, Object> vars) {
        Optional<QmpClient> qmp = sourceMonitor(vars);
        if (qmp.isEmpty()) {
            return null;
        }
        try {
            MigrationStatus s = SourceSide.queryMigrate(qmp.get());
            Map<String, Object> ram = new LinkedHashMap<>();
            ram.put("status", s.status());
            ram.put("transferred", s.transferred());
            ram.put("remaining", s.remaining());
            return ram;
        } catch (QmpException e) {
            return null;
        }
    }
}
