package io.nbdflow.application;

import io.nbdflow.domain.DomainNotFoundException;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.MigrationRefusedException;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.MigrationStatus;
import io.nbdflow.migration.MirrorJobs;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.springframework.stereotype.Service;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Storage migrations as the API, the demo and the tests use them: start one, read where it is,
 * ask it to stop. A thin door to the engine: the same process can be started and followed
 * through the engine's own REST API. Progress is read live from QEMU, not from variables
 * rewritten every second.
 */
@Service
public class MigrationService {
    private final RuntimeService runtime;
    private final HistoryService history;
    private final IdentityService identity;
    private final MigrationResources resources;

    public MigrationService(RuntimeService runtime, HistoryService history, IdentityService identity,
                            MigrationResources resources) {
        this.runtime = runtime;
        this.history = history;
        this.identity = identity;
        this.resources = resources;
    }

    /**
     * Starts the migration of that domain (business key: the domain); answers its process instance id.
     * The request is checked first by the same rules the migration's first step applies, so a bad one
     * is refused here (InvalidMigrationRequestException naming the field) rather than started and
     * refused later; a domain that does not exist is DomainNotFoundException. What only the hosts can
     * tell (running? already migrating?) is still the first step's to check.
     */
    public String start(String domain, MigrateCommand command) {
        if (command == null) {
            throw new InvalidMigrationRequestException("body", "body: a JSON object with destinationHost is required");
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put(Vars.DOMAIN, domain);
        putIfPresent(vars, Vars.DESTINATION_HOST, command.destinationHost());
        putIfPresent(vars, Vars.COPY_STORAGE, command.copyStorage());
        putIfPresent(vars, Vars.MIGRATE_DISKS, command.migrateDisks());
        vars.put(Vars.TUNNELLED, Boolean.TRUE.equals(command.tunnelled()));
        vars.put(Vars.BANDWIDTH_MIBPS, command.bandwidthMiBps() == null ? 0L : command.bandwidthMiBps());
        vars.put(Vars.APPROVE_SWITCHOVER, Boolean.TRUE.equals(command.approveSwitchover()));
        vars.put(Vars.KEEP_SOURCE_DISKS, Boolean.TRUE.equals(command.keepSourceDisks()));
        putIfPresent(vars, Vars.MIRROR_COPY_MODE, command.mirrorCopyMode());
        putIfPresent(vars, Vars.MAX_DOWNTIME_MS, command.maxDowntimeMs());
        putIfPresent(vars, Vars.AUTO_CONVERGE, command.autoConverge());
        putIfPresent(vars, Vars.STALL_TIMEOUT_SECONDS, command.stallTimeoutSeconds());
        putIfPresent(vars, Vars.REQUIRE_TLS, command.requireTls());
        try {
            MigrationRequest.parse(vars);
        } catch (MigrationRefusedException e) {
            throw new InvalidMigrationRequestException(e.field(), e.getMessage());
        }
        if (resources.domains().find(domain).isEmpty()) {
            throw new DomainNotFoundException(domain);
        }
        return runtime.startProcessInstanceByKey(Bpmn.PROCESS_KEY, domain, vars).getId();
    }

    /**
     * Asks a migration to stop and roll back. Refused once the switchover has begun: from there the
     * guest lives on the destination and nothing is rolled back.
     */
    public void abort(String id) {
        if (history.createHistoricProcessInstanceQuery().processInstanceId(id).processDefinitionKey(Bpmn.PROCESS_KEY)
                .count() == 0) {
            throw new MigrationNotFoundException(id);
        }
        if (runtime.createProcessInstanceQuery().processInstanceId(id).count() == 0) {
            throw new MigrationConflictException("migration " + id + " has already ended");
        }
        boolean pastSwitchover = Bpmn.PAST_SWITCHOVER.stream().anyMatch(activity -> history
                .createHistoricActivityInstanceQuery().processInstanceId(id).activityId(activity).count() > 0);
        if (pastSwitchover) {
            throw new MigrationConflictException("migration " + id
                    + " is past the switchover: the guest runs on the destination, nothing is rolled back");
        }
        var auth = identity.getCurrentAuthentication();
        runtime.createMessageCorrelation(Bpmn.MESSAGE_ABORT).processInstanceId(id)
                .setVariable("abortedBy", auth == null ? "an API user" : auth.getUserId()).correlateWithResult();
    }

    /** Where the migration is now; MigrationNotFoundException if there is no such migration. */
    public MigrationView status(String id) {
        HistoricProcessInstance hpi = history.createHistoricProcessInstanceQuery().processInstanceId(id).singleResult();
        if (hpi == null || !Bpmn.PROCESS_KEY.equals(hpi.getProcessDefinitionKey())) {
            throw new MigrationNotFoundException(id);
        }
        Map<String, Object> vars = new HashMap<>();
        for (HistoricVariableInstance v : history.createHistoricVariableInstanceQuery().processInstanceId(id).list()) {
            vars.put(v.getName(), v.getValue());
        }
        boolean ended = hpi.getEndTime() != null;
        Optional<QmpClient> source = ended ? Optional.empty() : sourceMonitor(vars);
        return new MigrationView(id, text(vars, Vars.DOMAIN), text(vars, Vars.DESTINATION_HOST),
                ended ? MigrationView.PHASE_ENDED : phase(id), text(vars, Vars.STORAGE_TRANSPORT),
                ended ? List.of() : disks(vars, source), source.flatMap(MigrationService::ram).orElse(null),
                text(vars, Vars.OUTCOME), text(vars, Vars.FAILURE_REASON), number(vars, Vars.DOWNTIME_MS),
                number(vars, Vars.TOTAL_TIME_MS), number(vars, Vars.BYTES_MIRRORED),
                vars.get(Vars.ENCRYPTED) instanceof Boolean b ? b : null);
    }

    /** The names of the activities the instance is in now, e.g. "Wait for steady state". */
    private String phase(String id) {
        List<String> names = history.createHistoricActivityInstanceQuery().processInstanceId(id).unfinished()
                .list().stream().map(a -> a.getActivityName() == null ? a.getActivityId() : a.getActivityName())
                .distinct().toList();
        // before the first step's job has run, no activity has begun yet
        return names.isEmpty() ? MigrationView.PHASE_STARTING : String.join(", ", names);
    }

    /** Progress is best effort: a source that cannot be asked shows no progress rather than an error. */
    private Optional<QmpClient> sourceMonitor(Map<String, Object> vars) {
        try {
            String host = text(vars, Vars.SOURCE_HOST);
            if (host == null) {
                return Optional.empty();
            }
            Optional<QemuInstance> q = resources.processes().find(resources.hosts().get(host), text(vars, Vars.DOMAIN));
            return q.isEmpty() ? Optional.empty() : Optional.of(resources.monitors().get(q.get()));
        } catch (QmpException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<MigrationView.DiskProgress> disks(Map<String, Object> vars, Optional<QmpClient> source) {
        List<BlockJob> jobs = List.of();
        if (source.isPresent()) {
            try {
                jobs = SourceSide.mirrorJobs(source.get());
            } catch (QmpException ignored) {
                // progress is best effort
            }
        }
        List<MigrationView.DiskProgress> out = new ArrayList<>();
        for (String target : MigrationVariables.of(vars).targetsToCopy()) {
            Optional<BlockJob> job = jobs.stream().filter(j -> j.id().equals(MirrorJobs.jobId(target))).findFirst();
            out.add(new MigrationView.DiskProgress(target, job.map(BlockJob::offset).orElse(0L),
                    job.map(BlockJob::length).orElse(0L), job.map(BlockJob::ready).orElse(false)));
        }
        return out;
    }

    private static Optional<MigrationView.RamProgress> ram(QmpClient source) {
        try {
            MigrationStatus s = SourceSide.queryMigrate(source);
            return Optional.of(new MigrationView.RamProgress(s.status(), s.transferred(), s.remaining()));
        } catch (QmpException e) {
            return Optional.empty();
        }
    }

    private static void putIfPresent(Map<String, Object> vars, String name, Object value) {
        if (value != null) {
            vars.put(name, value);
        }
    }

    private static String text(Map<String, Object> vars, String name) {
        Object v = vars.get(name);
        return v == null ? null : v.toString();
    }

    private static Long number(Map<String, Object> vars, String name) {
        return vars.get(name) instanceof Number n ? n.longValue() : null;
    }
}
