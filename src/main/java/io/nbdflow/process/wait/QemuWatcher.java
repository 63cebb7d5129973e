package io.nbdflow.process.wait;

import io.nbdflow.process.Bpmn;
import io.nbdflow.process.CopyModesUsed;
import io.nbdflow.process.LostHosts;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;

import io.nbdflow.host.Host;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.MigrationStatus;
import io.nbdflow.migration.MirrorCopyMode;
import io.nbdflow.migration.MigrationStepException;
import io.nbdflow.migration.MirrorJobs;
import io.nbdflow.migration.WriteBlockingSwitch;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpEvent;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.MismatchingMessageCorrelationException;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.RuntimeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Lazy;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Watches QEMU for the two long waits of the process ("Wait for steady state", "Wait for
 * switchover point") and correlates a message when the wait is over. QMP events trigger a check at
 * once; a periodic re-check covers a missed event. Polling happens here, in memory: no job holds
 * an executor thread or a lock, and no history row is written per poll. What is watched is derived
 * from the process variables, so after a restart {@link #resumeWatches()} picks every wait up again.
 * A wait that no person holds fails once neither the disks nor the RAM have progressed for the
 * request's stall timeout ({@link StallClock}).
 */
@Component
public class QemuWatcher implements DisposableBean {
    private static final List<String> WAITS = List.of(Bpmn.WAIT_STEADY_STATE, Bpmn.APPROVE_SWITCHOVER, Bpmn.WAIT_SWITCHOVER_POINT,
            Bpmn.WAIT_BLOCK_MIGRATION);
    private static final Set<String> EVENTS = Set.of("BLOCK_JOB_READY", "BLOCK_JOB_COMPLETED", "BLOCK_JOB_ERROR",
            "BLOCK_JOB_CANCELLED", "JOB_STATUS_CHANGE", "MIGRATION", "SHUTDOWN", "STOP", "RESUME");
    private static final Logger log = LoggerFactory.getLogger(QemuWatcher.class);

    private final RuntimeService runtime;
    private final MigrationResources r;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, task -> {
        Thread t = new Thread(task, "qemu-watch");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();

    public QemuWatcher(@Lazy RuntimeService runtime, MigrationResources resources) {
        this.runtime = runtime;
        this.r = resources;
    }

    /** Starts watching an execution that waits at one of the two wait activities. */
    public void watch(String processInstanceId, String executionId, String activityId) {
        watches.computeIfAbsent(executionId, id -> {
            Watch w = new Watch(processInstanceId, executionId, activityId, runtime.getVariables(executionId));
            long period = r.tuning().pollInterval().toMillis();
            w.periodic = timer.scheduleWithFixedDelay(() -> check(w), 0, period, TimeUnit.MILLISECONDS);
            log.info("watching migration {} at {}", processInstanceId, activityId);
            return w;
        });
    }

    public void unwatch(String executionId) {
        Watch w = watches.remove(executionId);
        if (w != null) {
            w.stop();
        }
    }

    /** An abort was recorded: the waits of that migration turn it into a rollback now. */
    public void abortRequested(String processInstanceId, String reason) {
        for (Watch w : watches.values()) {
            if (w.processInstanceId.equals(processInstanceId)) {
                w.abortReason = reason;
                timer.execute(() -> check(w));
            }
        }
    }

    public int activeWatches() {
        return watches.size();
    }

    /** After a restart: the waits are in the database, the jobs still run in QEMU. */
    @EventListener(ApplicationReadyEvent.class)
    public void resumeWatches() {
        for (String activity : WAITS) {
            runtime.createExecutionQuery().activityId(activity).list()
                    .forEach(e -> watch(e.getProcessInstanceId(), e.getId(), activity));
        }
    }

    private void check(Watch w) {
        synchronized (w) {
            if (w.done) {
                return;
            }
            try {
                Optional<Verdict> verdict = verdict(w);
                if (verdict.isPresent() && correlate(w, verdict.get())) {
                    w.done = true;
                    unwatch(w.executionId);
                }
            } catch (RuntimeException | QmpException e) {
                // a passing fault (monitor reconnecting): the next round tries again; the stall
                // timeout and the wait's timer bound how long that can go on
                Optional<String> stall = w.activityId.equals(Bpmn.APPROVE_SWITCHOVER) ? Optional.empty()
                        : w.stallClock.noAnswer(e.getMessage(), System.nanoTime());
                if (stall.isPresent() && correlate(w, Verdict.failed(failMessage(w), stall.get()))) {
                    w.done = true;
                    unwatch(w.executionId);
                    return;
                }
                if (w.faults++ % 30 == 0) {
                    log.warn("watch of migration {} at {}: {}", w.processInstanceId, w.activityId, e.toString());
                }
            }
        }
    }

    private record Verdict(String message, String failure, Map<String, Object> variables) {
        static Verdict done(String message) {
            return new Verdict(message, null, Map.of());
        }

        static Verdict failed(String message, String failure) {
            return new Verdict(message, failure, Map.of(Vars.WATCH_FAILURE, failure));
        }
    }

    private Optional<Verdict> verdict(Watch w) throws QmpException {
        String failMessage = failMessage(w);
        if (w.abortReason != null) {
            return Optional.of(Verdict.failed(failMessage, w.abortReason));
        }
        if (w.requestProblem != null) {
            return Optional.of(Verdict.failed(failMessage, w.requestProblem));
        }
        Optional<QemuInstance> source;
        try {
            source = r.processes().find(w.host(Vars.SOURCE_HOST), w.domain());
            w.sourceLostAt = 0;
        } catch (HostUnreachableException e) {
            return sourceUnreachable(w, failMessage, e);
        }
        if (source.isEmpty()) {
            return Optional.of(Verdict.failed(failMessage, "the source QEMU exited"));
        }
        long destinationPid = ((Number) w.vars.get(Vars.DESTINATION_PID)).longValue();
        Host destination = w.host(Vars.DESTINATION_HOST);
        try {
            if (!r.processes().isAlive(destination, destinationPid)) {
                return Optional.of(Verdict.failed(failMessage, "the destination QEMU (pid " + destinationPid + ") exited"));
            }
        } catch (HostUnreachableException e) {
            // nothing can switch over to a QEMU nobody can command: fail now, while the guest is on the source
            return Optional.of(Verdict.failed(failMessage, LostHosts.unreachableDestination(destination.name(),
                    e.getMessage())));
        }
        QmpClient qmp = r.monitors().get(source.get());
        w.listenTo(qmp);
        if (w.activityId.equals(Bpmn.WAIT_BLOCK_MIGRATION)) {
            MigrationStatus s = SourceSide.queryMigrate(qmp);
            // QEMU drops the disk figures once the block migration completed: keep the last seen
            w.diskTransferred = Math.max(w.diskTransferred, s.diskTransferred());
            Optional<Verdict> verdict = blockMigrationVerdict(s, w.diskTransferred, failMessage);
            return verdict.isPresent() ? verdict : stalled(w, List.of(), s, failMessage);
        }
        List<BlockJob> jobs = SourceSide.mirrorJobs(qmp);
        Optional<String> mirrorProblem = mirrorProblem(w, jobs);
        if (mirrorProblem.isPresent()) {
            return Optional.of(Verdict.failed(failMessage, mirrorProblem.get()));
        }
        if (w.activityId.equals(Bpmn.APPROVE_SWITCHOVER)) {
            return Optional.empty(); // a person decides; meanwhile only a failing mirror or an abort ends the wait
        }
        if (w.activityId.equals(Bpmn.WAIT_STEADY_STATE)) {
            if (!jobs.stream().allMatch(BlockJob::ready)) {
                return stalled(w, jobs, null, failMessage);
            }
            return switchesToWriteBlocking(w, qmp) ? writeBlockingVerdict(w, qmp)
                    : Optional.of(Verdict.done(Bpmn.MESSAGE_MIRRORS_READY));
        }
        MigrationStatus s = SourceSide.queryMigrate(qmp);
        if (s.status().equals("pre-switchover")) {
            return Optional.of(Verdict.done(Bpmn.MESSAGE_SWITCHOVER_POINT));
        }
        if (s.hasFailed() || s.status().equals("none") || s.status().equals("completed")) {
            return Optional.of(Verdict.failed(failMessage, "migration " + s.status()
                    + (s.errorDesc() == null ? "" : ": " + s.errorDesc())));
        }
        return stalled(w, jobs, s, failMessage);
    }

    /** The message that fails the wait: a mirror failed, or the (RAM or block) migration did. */
    private static String failMessage(Watch w) {
        boolean mirrorWait = w.activityId.equals(Bpmn.WAIT_STEADY_STATE) || w.activityId.equals(Bpmn.APPROVE_SWITCHOVER);
        return mirrorWait ? Bpmn.MESSAGE_MIRROR_FAILED : Bpmn.MESSAGE_MIGRATION_FAILED;
    }

    /** No verdict of QEMU's yet: the migration fails if nothing has moved for the stall timeout. */
    private static Optional<Verdict> stalled(Watch w, List<BlockJob> mirrors, MigrationStatus migration,
                                             String failMessage) {
        return w.stallClock.look(mirrors, migration, System.nanoTime())
                .map(stall -> Verdict.failed(failMessage, stall));
    }

    /**
     * Whether the mirrors of this migration go write-blocking once all are ready: asked for by
     * {@code auto}, where the source QEMU can switch a running mirror. (A request that no longer
     * passes its checks has failed the wait before this is asked.)
     */
    private static boolean switchesToWriteBlocking(Watch w, QmpClient qmp) throws QmpException {
        if (w.switchWanted == null) {
            w.switchWanted = w.copyMode == MirrorCopyMode.AUTO && WriteBlockingSwitch.available(SourceSide.commands(qmp));
        }
        return w.switchWanted;
    }

    /**
     * Every mirror is ready: switch them all to write-blocking, and call the disks in sync once each
     * mirror is actively synced, recording the switch in {@link Vars#MIRROR_COPY_MODE_USED}.
     */
    private static Optional<Verdict> writeBlockingVerdict(Watch w, QmpClient qmp) throws QmpException {
        if (!w.writeBlockingSwitch.switchAndCheck(qmp)) {
            return Optional.empty();
        }
        log.info("migration {}: mirrors of {} switched to write-blocking and in sync", w.processInstanceId,
                w.targetsToCopy);
        CopyModesUsed used = CopyModesUsed.parse(w.vars.get(Vars.MIRROR_COPY_MODE_USED));
        for (String target : w.targetsToCopy) {
            String before = used.of(target);
            if (before == null || !before.startsWith(MirrorCopyMode.WRITE_BLOCKING.value())) {
                used = used.with(target, MirrorCopyMode.WRITE_BLOCKING.value()
                        + " (auto: switched once all mirrors were ready)");
            }
        }
        return Optional.of(new Verdict(Bpmn.MESSAGE_MIRRORS_READY, null,
                Map.of(Vars.MIRROR_COPY_MODE_USED, used.toString())));
    }

    /**
     * The source does not answer: its QEMU may run on, so this is no verdict yet; the watch keeps
     * asking, and fails the migration once the host has not answered for the configured time.
     */
    private Optional<Verdict> sourceUnreachable(Watch w, String failMessage, HostUnreachableException e) {
        long now = System.nanoTime();
        if (w.sourceLostAt == 0) {
            w.sourceLostAt = now;
            log.warn("migration {}: source host {} does not answer: {}", w.processInstanceId,
                    w.vars.get(Vars.SOURCE_HOST), e.getMessage());
        }
        Duration timeout = r.tuning().hostUnreachableTimeout();
        if (now - w.sourceLostAt < timeout.toNanos()) {
            return Optional.empty();
        }
        return Optional.of(Verdict.failed(failMessage, LostHosts.unreachableSource(
                (String) w.vars.get(Vars.SOURCE_HOST), timeout, e.getMessage())));
    }

    /** QEMU's block migration: done when QEMU says completed (the guest then waits on the destination). */
    private static Optional<Verdict> blockMigrationVerdict(MigrationStatus s, long diskTransferred, String failMessage) {
        if (s.status().equals("completed") && s.totalTimeMs() == 0) {
            // QEMU 7.2 may answer "completed" a moment before it fills in downtime and total-time:
            // the next look records QEMU's figures instead of zeros
            return Optional.empty();
        }
        if (s.status().equals("completed")) {
            return Optional.of(new Verdict(Bpmn.MESSAGE_BLOCK_MIGRATION_DONE, null, Map.of(Vars.DOWNTIME_MS, s.downtimeMs(),
                    Vars.BYTES_MIRRORED, diskTransferred, "ramMigrationTimeMs", s.totalTimeMs())));
        }
        if (s.hasFailed() || s.status().equals("none")) {
            return Optional.of(Verdict.failed(failMessage, "block migration " + s.status()
                    + (s.errorDesc() == null ? "" : ": " + s.errorDesc())));
        }
        return Optional.empty();
    }

    /** Every disk to copy must still have its mirror job, healthy. */
    private Optional<String> mirrorProblem(Watch w, List<BlockJob> jobs) {
        for (String target : w.targetsToCopy) {
            String id = MirrorJobs.jobId(target);
            Optional<BlockJob> job = jobs.stream().filter(j -> j.id().equals(id)).findFirst();
            String error = w.jobErrors.get(id);
            if (job.isEmpty()) {
                return Optional.of("mirror of " + target + " ended" + (error == null ? " unexpectedly" : ": " + error));
            }
            if (job.get().error() != null || job.get().status().equals("concluded")
                    || job.get().status().equals("aborting")) {
                return Optional.of("mirror of " + target + " failed: "
                        + (job.get().error() != null ? job.get().error() : job.get().status()));
            }
        }
        return Optional.empty();
    }

    private boolean correlate(Watch w, Verdict v) {
        try {
            runtime.createMessageCorrelation(v.message()).processInstanceId(w.processInstanceId)
                    .setVariables(v.variables()).correlateWithResult();
            log.info("migration {}: {} {}", w.processInstanceId, v.message(), v.failure() == null ? "" : v.failure());
            return true;
        } catch (MismatchingMessageCorrelationException | OptimisticLockingException e) {
            // not (or no longer) waiting there: stop if the wait is gone, else try again next round
            return runtime.createExecutionQuery().processInstanceId(w.processInstanceId)
                    .activityId(w.activityId).count() == 0;
        }
    }

    @Override
    public void destroy() {
        watches.values().forEach(Watch::stop);
        timer.shutdownNow();
    }

    private final class Watch {
        final String processInstanceId;
        final String executionId;
        final String activityId;
        final Map<String, Object> vars;
        final List<String> targetsToCopy;
        final Map<String, String> jobErrors = new ConcurrentHashMap<>();
        volatile ScheduledFuture<?> periodic;
        volatile boolean done;
        volatile String abortReason;
        int faults;
        /** When the source host was first found not answering (System.nanoTime), 0 while it answers. */
        long sourceLostAt;
        /** The block migration's disk bytes as last reported while active (a lower bound). */
        long diskTransferred;
        /** Whether the mirrors go write-blocking once ready; null until first asked. */
        Boolean switchWanted;
        /** The switch of the mirrors to write-blocking once they are ready (see switchesToWriteBlocking). */
        final WriteBlockingSwitch writeBlockingSwitch;
        /** Counts from this watch's start: after a restart, from the restart. */
        final StallClock stallClock;
        /** Why the request's variables no longer pass their checks, or null. */
        final String requestProblem;
        /** The copy mode the request asks for (its default when the request no longer passes). */
        final MirrorCopyMode copyMode;
        private QmpClient listening;
        private AutoCloseable subscription;

        Watch(String processInstanceId, String executionId, String activityId, Map<String, Object> vars) {
            this.processInstanceId = processInstanceId;
            this.executionId = executionId;
            this.activityId = activityId;
            this.vars = r.withRecordedFacts(processInstanceId, vars);
            this.targetsToCopy = MigrationVariables.of(vars).targetsToCopy();
            this.writeBlockingSwitch = new WriteBlockingSwitch(targetsToCopy);
            if (Boolean.TRUE.equals(vars.get(Vars.ABORT_REQUESTED))) {
                abortReason = (String) vars.get(Vars.ABORT_REASON);
            }
            long stallTimeoutSeconds = MigrationRequest.DEFAULT_STALL_TIMEOUT_SECONDS;
            MirrorCopyMode mode = MirrorCopyMode.AUTO;
            String problem = null;
            try {
                MigrationRequest request = MigrationVariables.of(this.vars).request();
                stallTimeoutSeconds = request.stallTimeoutSeconds();
                mode = request.mirrorCopyMode();
            } catch (MigrationStepException e) {
                problem = e.getMessage(); // a variable changed to a refused value: the wait fails on it
            }
            this.stallClock = new StallClock(Duration.ofSeconds(stallTimeoutSeconds), System.nanoTime());
            this.requestProblem = problem;
            this.copyMode = mode;
        }

        String domain() {
            return (String) vars.get(Vars.DOMAIN);
        }

        Host host(String variable) {
            return r.hosts().get((String) vars.get(variable));
        }

        /** Subscribes to the source's events; again after the monitor connection was replaced. */
        void listenTo(QmpClient qmp) {
            if (listening == qmp) {
                return;
            }
            closeSubscription();
            listening = qmp;
            subscription = qmp.subscribe(this::onEvent);
        }

        private void onEvent(QmpEvent e) {
            if (!EVENTS.contains(e.name())) {
                return;
            }
            if (e.name().equals("BLOCK_JOB_COMPLETED") && e.data().hasNonNull("error")) {
                jobErrors.put(e.data().path("device").asText(), e.data().get("error").asText());
            }
            if (!done) {
                timer.execute(() -> check(this));
            }
        }

        void stop() {
            done = true;
            if (periodic != null) {
                periodic.cancel(false);
            }
            closeSubscription();
        }

        private void closeSubscription() {
            if (subscription != null) {
                try {
                    subscription.close();
                } catch (Exception ignored) {
                    // closing a subscription cannot fail in a way that matters
                }
                subscription = null;
            }
        }
    }
}
