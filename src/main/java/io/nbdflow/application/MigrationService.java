package io.nbdflow.application;

import io.nbdflow.domain.DomainNotFoundException;
import io.nbdflow.host.GuestMemory;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.MigrationRefusedException;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.MigrationStatus;
import io.nbdflow.migration.MirrorJobs;
import io.nbdflow.migration.PlannedDisk;
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
import java.util.OptionalDouble;

/**
 * Storage migrations as the API, the demo and the tests use them: start one, read where it is,
 * ask it to stop. A thin door to the engine: the same process can be started and followed
 * through the engine's own REST API. Progress is read live from QEMU, not from variables
 * rewritten every second.
 */
@Service
public class MigrationService {
    private static final long MIB = 1L << 20;
    private final RuntimeService runtime;
    private final HistoryService history;
    private final IdentityService identity;
    private final MigrationResources resources;
    private final MigrationPhase phases;
    private final ProgressSamples samples;

    MigrationService(RuntimeService runtime, HistoryService history, IdentityService identity,
                     MigrationResources resources, MigrationPhase phases, ProgressSamples samples) {
        this.runtime = runtime;
        this.history = history;
        this.identity = identity;
        this.resources = resources;
        this.phases = phases;
        this.samples = samples;
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

    /**
     * Where the migration is now, with rates and the time left; MigrationNotFoundException if there
     * is no such migration. Each read is also a reading for the rates (see {@link ProgressSamples}).
     */
    public MigrationView status(String id) {
        HistoricProcessInstance hpi = history.createHistoricProcessInstanceQuery().processInstanceId(id).singleResult();
        if (hpi == null || !Bpmn.PROCESS_KEY.equals(hpi.getProcessDefinitionKey())) {
            throw new MigrationNotFoundException(id);
        }
        Map<String, Object> vars = new HashMap<>();
        for (HistoricVariableInstance v : history.createHistoricVariableInstanceQuery().processInstanceId(id).list()) {
            vars.put(v.getName(), v.getValue());
        }
        List<PlannedDisk> planned = plannedCopies(vars);
        if (hpi.getEndTime() != null) {
            ProgressSamples.Tracker seen = samples.of(id);
            // a migrated domain's disks were all copied; other outcomes copied nothing that stays
            List<MigrationView.DiskProgress> copied = Vars.OUTCOME_MIGRATED.equals(text(vars, Vars.OUTCOME))
                    ? planned.stream().map(d -> copied(d, seen)).toList() : List.of();
            samples.forget(id);
            return new MigrationView(id, text(vars, Vars.DOMAIN), text(vars, Vars.DESTINATION_HOST),
                    MigrationView.PHASE_ENDED, text(vars, Vars.STORAGE_TRANSPORT), copied, null,
                    text(vars, Vars.OUTCOME), text(vars, Vars.FAILURE_REASON), number(vars, Vars.DOWNTIME_MS),
                    number(vars, Vars.TOTAL_TIME_MS), number(vars, Vars.BYTES_MIRRORED), encrypted(vars), null, null);
        }
        long now = System.nanoTime();
        MigrationPhase.Phase phase = phases.of(id, hpi.getProcessDefinitionId());
        ProgressSamples.Tracker tracker = samples.of(id);
        Optional<QemuInstance> sourceQemu = sourceQemu(vars);
        Optional<QmpClient> source = sourceQemu.flatMap(this::monitor);
        long limit = bandwidthLimit(vars);

        List<MigrationView.DiskProgress> disks = new ArrayList<>();
        List<MigrationEta.DiskLeft> disksLeft = new ArrayList<>();
        List<BlockJob> jobs = source.map(MigrationService::mirrorJobs).orElse(List.of());
        for (PlannedDisk d : planned) {
            Optional<BlockJob> job = jobs.stream().filter(j -> j.id().equals(MirrorJobs.jobId(d.target()))).findFirst();
            if (job.isPresent()) {
                BlockJob j = job.get();
                OptionalDouble rate = tracker.disk(d.target(), now, j.offset());
                tracker.mirrorLength(d.target(), j.length());
                disks.add(new MigrationView.DiskProgress(d.target(), j.offset(), j.length(), j.ready(), rounded(rate)));
                disksLeft.add(new MigrationEta.DiskLeft(j.ready() ? 0 : j.length() - j.offset(), rate));
            } else if (phase.stage() == MigrationEta.Stage.SWITCHOVER) {
                // the switchover completed the mirror (QEMU then drops the job): the whole disk is copied
                disks.add(copied(d, tracker));
                disksLeft.add(new MigrationEta.DiskLeft(0, OptionalDouble.empty()));
            } else {
                // not begun yet (or gone in a rollback): nothing copied of its size
                disks.add(new MigrationView.DiskProgress(d.target(), 0, d.size(), false));
                disksLeft.add(new MigrationEta.DiskLeft(d.size(), OptionalDouble.empty()));
            }
        }

        Optional<MigrationStatus> migration = source.flatMap(MigrationService::queryMigrate);
        MigrationView.RamProgress ram = null;
        long touched = guestMemoryToSend(vars, sourceQemu, tracker, now);
        MigrationEta.RamLeft ramLeft = new MigrationEta.RamLeft(touched, OptionalDouble.empty());
        if (migration.isPresent()) {
            MigrationStatus m = migration.get();
            if (m.status().equals("none")) {
                ram = new MigrationView.RamProgress(m.status(), m.transferred(), m.remaining());
            } else {
                OptionalDouble sent = tracker.ramSent(now, m.transferred());
                ram = new MigrationView.RamProgress(m.status(), m.transferred(), m.remaining(), rounded(sent));
                ramLeft = new MigrationEta.RamLeft(ramToSend(m, touched), sent);
            }
        }
        // before the first step has planned the disks, what is to copy is not known
        MigrationEta.Estimate eta = vars.get(Vars.DISK_PLAN) == null ? MigrationEta.Estimate.UNKNOWN
                : MigrationEta.estimate(phase.stage(), phase.step(), secondsSince(hpi.getStartTime()), disksLeft,
                ramLeft, limit);

        return new MigrationView(id, text(vars, Vars.DOMAIN), text(vars, Vars.DESTINATION_HOST), phase.name(),
                text(vars, Vars.STORAGE_TRANSPORT), disks, ram, text(vars, Vars.OUTCOME),
                text(vars, Vars.FAILURE_REASON), number(vars, Vars.DOWNTIME_MS), number(vars, Vars.TOTAL_TIME_MS),
                number(vars, Vars.BYTES_MIRRORED), encrypted(vars), seconds(eta.phaseSeconds()),
                seconds(eta.totalSeconds()));
    }

    /**
     * What the RAM migration still has to send. QEMU's remaining counts every page not scanned yet,
     * but a zero page costs a few bytes: on the first pass (less sent than the guest touched), the
     * rest is taken to need as much per byte as the part scanned so far did, and no more than the
     * touched part not sent yet. After it, the pages dirtied again, as QEMU says.
     */
    static long ramToSend(MigrationStatus m, long touched) {
        long scanned = m.total() - m.remaining();
        if (m.transferred() >= touched || scanned <= 0) {
            return m.remaining();
        }
        double perByte = Math.min(1.0, m.transferred() / (double) scanned);
        return Math.min(touched - m.transferred(), (long) Math.ceil(m.remaining() * perByte));
    }

    /** Whether NBD and migration are encrypted, once the first step has decided it. */
    private static Boolean encrypted(Map<String, Object> vars) {
        return vars.get(Vars.ENCRYPTED) instanceof Boolean b ? b : null;
    }

    private static double secondsSince(java.util.Date time) {
        return Math.max(0, System.currentTimeMillis() - time.getTime()) / 1000.0;
    }

    /** The disks the plan copies; none before the plan is made, or if the variable no longer parses. */
    private static List<PlannedDisk> plannedCopies(Map<String, Object> vars) {
        try {
            return vars.get(Vars.DISK_PLAN) == null ? List.of() : MigrationVariables.of(vars).plan().toCopy();
        } catch (RuntimeException e) {
            return List.of(); // progress is best effort; the steps refuse a bad plan themselves
        }
    }

    /**
     * A disk whose mirror completed: all of it copied. Its mirror's length if this node saw it (a
     * mirror copies only the data, which the bars showed while it ran), else the disk's size.
     */
    private static MigrationView.DiskProgress copied(PlannedDisk d, ProgressSamples.Tracker seen) {
        long bytes = seen.mirrorLength(d.target()).orElse(d.size());
        return new MigrationView.DiskProgress(d.target(), bytes, bytes, true);
    }

    /** The requested limit in bytes/s, 0 for none or if the variable no longer parses. */
    private static long bandwidthLimit(Map<String, Object> vars) {
        try {
            return MigrationVariables.of(vars).request().bandwidthBytesPerSecond();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * What the RAM phase will send, before it began: the guest memory the guest touched, read from
     * its QEMU (at most every few seconds), else the domain's memory size.
     */
    private long guestMemoryToSend(Map<String, Object> vars, Optional<QemuInstance> qemu,
                                   ProgressSamples.Tracker tracker, long now) {
        long size = resources.domains().find(text(vars, Vars.DOMAIN)).map(d -> d.memoryMiB() * MIB).orElse(0L);
        if (qemu.isEmpty() || size <= 0) {
            return size;
        }
        QemuInstance q = qemu.get();
        return tracker.guestMemory(now, () -> GuestMemory.residentBytes(resources.hosts().connection(q.host()),
                q.pid(), size)).orElse(size);
    }

    /** Progress is best effort: a source that cannot be asked shows no progress rather than an error. */
    private Optional<QemuInstance> sourceQemu(Map<String, Object> vars) {
        try {
            String host = text(vars, Vars.SOURCE_HOST);
            if (host == null) {
                return Optional.empty();
            }
            return resources.processes().find(resources.hosts().get(host), text(vars, Vars.DOMAIN));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private Optional<QmpClient> monitor(QemuInstance q) {
        try {
            return Optional.of(resources.monitors().get(q));
        } catch (QmpException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<BlockJob> mirrorJobs(QmpClient source) {
        try {
            return SourceSide.mirrorJobs(source);
        } catch (QmpException e) {
            return List.of();
        }
    }

    private static Optional<MigrationStatus> queryMigrate(QmpClient source) {
        try {
            return Optional.of(SourceSide.queryMigrate(source));
        } catch (QmpException e) {
            return Optional.empty();
        }
    }

    private static Long rounded(OptionalDouble rate) {
        return rate.isPresent() ? Math.round(Math.max(0, rate.getAsDouble())) : null;
    }

    /** Whole seconds, the nearest. */
    private static Long seconds(Double s) {
        return s == null ? null : Math.round(Math.max(0, s));
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
