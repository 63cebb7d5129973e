package io.nbdflow.process;

import io.nbdflow.migration.StorageTransport;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.migration.PlannedDisk;
import io.nbdflow.process.listener.SwitchoverApprovalListener;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import io.nbdflow.qmp.QmpClosedException;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.jobexecutor.JobExecutorContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.complete;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.managementService;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.runtimeService;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.task;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.taskService;

/**
 * The real BPMN with its delegates replaced by recorders: which steps run, in which order, and
 * which undo handlers run after a failure at each point. QEMU's side is tested end to end elsewhere.
 */
@Deployment(resources = "processes/storage-migration.bpmn")
class StorageMigrationProcessTest {

    @RegisterExtension
    static ProcessEngineExtension engine = ProcessEngineExtension.builder().configurationResource("process-test.camunda.cfg.xml").build();

    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, String> failAt = new HashMap<>();

    private static final String[] STEPS = {"inspectSource", "checkBlockJobs", "precreateDisks", "startDestination",
            "startNbdServer", "mirrorDisk", "startMigration", "switchOver", "resumeDestination", "stopSource",
            "removePrecreatedDisks", "stopDestination", "stopNbdServer", "cancelMirror", "cancelMigration",
            "cancelSourceJobs", "startBlockMigration"};
    private String transport = StorageTransport.NBD.value();

    @BeforeEach
    void registerRecorders() {
        // other test classes leave Spring engines in this JVM: say which one the assertions use
        org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.init(engine.getProcessEngine());
        for (String step : STEPS) {
            Mocks.register(step + "Delegate", recorder(step));
        }
        Mocks.register("recordRollbackDelegate", (JavaDelegate) x -> {
            calls.add("recordRollback");
            x.setVariable(Vars.OUTCOME, Vars.OUTCOME_ROLLED_BACK);
        });
        Mocks.register("recordRefusalDelegate", (JavaDelegate) x -> {
            calls.add("recordRefusal");
            x.setVariable(Vars.OUTCOME, Vars.OUTCOME_REFUSED);
        });
        Mocks.register("recordAbortRequestDelegate", (JavaDelegate) x -> {
            calls.add("recordAbortRequest");
            x.setVariable(Vars.ABORT_REQUESTED, true);
            x.setVariable(Vars.ABORT_REASON, "aborted by " + x.getVariable("abortedBy"));
        });
        // a real step, so the abort check of every step before switchover is exercised
        Mocks.register("startDestinationDelegate", new MigrationStep() {
            @Override
            protected void run(DelegateExecution x) {
                calls.add("startDestination");
                if (failAt.containsKey("startDestination")) {
                    throw new BpmnError(FAILED, "startDestination failed: " + failAt.get("startDestination"));
                }
            }
        });
        Mocks.register("migrationPlan", new MigrationPlanExpressions());
        Mocks.register("qemuWatchListener", (ExecutionListener) x -> { });
        Mocks.register("switchoverApprovalListener", new SwitchoverApprovalListener());
    }

    @AfterEach
    void reset() {
        Mocks.reset();
    }

    private JavaDelegate recorder(String step) {
        return (DelegateExecution x) -> {
            Object disk = x.getVariable(Vars.DISK);
            calls.add(disk == null || !step.contains("irror") ? step : step + ":" + disk);
            if (step.equals("inspectSource")) {
                x.setVariable(Vars.STORAGE_TRANSPORT, transport);
                MigrationVariables.of(x).writePlan(new DiskPlan(List.of(copied("vda"), copied("vdb"))));
                x.setVariable(Vars.CONVERGENCE_TIMEOUT, "PT60S");
            }
            if (step.equals("stopSource")) {
                x.setVariable(Vars.OUTCOME, Vars.OUTCOME_MIGRATED);
            }
            String error = failAt.get(step);
            if (error != null && error.startsWith("technical")) {
                throw new IllegalStateException(step + ": " + error);
            }
            if (error != null && (disk == null || error.contains((String) disk))) {
                throw new BpmnError(error.startsWith("refuse") ? MigrationStep.REFUSED : MigrationStep.FAILED,
                        step + " failed: " + error);
            }
        };
    }

    private static PlannedDisk copied(String target) {
        return new PlannedDisk(target, "qcow2", false, 1L << 30, "/a/web1-" + target + ".qcow2",
                "/b/web1-" + target + ".qcow2", true, null, null);
    }

    private ProcessInstance start(boolean approve) {
        return runtimeService().startProcessInstanceByKey(Bpmn.PROCESS_KEY,
                Map.of(Vars.DOMAIN, "web1", Vars.DESTINATION_HOST, "host-b", Vars.APPROVE_SWITCHOVER, approve));
    }

    /** Runs every due job (not timers) until none is left: the job executor's work, in the test's thread. */
    private void runJobs() {
        for (int round = 0; round < 100; round++) {
            List<Job> jobs = managementService().createJobQuery().messages().list();
            if (jobs.isEmpty()) {
                return;
            }
            for (Job job : jobs) {
                managementService().executeJob(job.getId());
            }
        }
    }

    private void correlate(ProcessInstance pi, String message, Map<String, Object> vars) {
        runtimeService().createMessageCorrelation(message).processInstanceId(pi.getId()).setVariables(vars).correlate();
        runJobs();
    }

    private Object variable(ProcessInstance pi, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult().getValue();
    }

    @Test
    void happyPathPassesEveryStepInOrder() {
        ProcessInstance pi = start(false);
        runJobs();
        assertThat(pi).isWaitingAt(Bpmn.WAIT_STEADY_STATE);
        correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of());
        assertThat(pi).isWaitingAt(Bpmn.WAIT_SWITCHOVER_POINT);
        correlate(pi, Bpmn.MESSAGE_SWITCHOVER_POINT, Map.of());

        assertThat(pi).isEnded().hasPassedInOrder(Bpmn.INSPECT_SOURCE, Bpmn.CHECK_BLOCK_JOBS, Bpmn.PRECREATE_DISKS,
                Bpmn.START_DESTINATION, Bpmn.START_NBD_SERVER, Bpmn.MIRROR_DISKS, Bpmn.WAIT_STEADY_STATE,
                Bpmn.START_MIGRATION, Bpmn.WAIT_SWITCHOVER_POINT, Bpmn.SWITCH_OVER, Bpmn.RESUME_DESTINATION,
                Bpmn.STOP_SOURCE, "EndEvent_Migrated").hasNotPassed(Bpmn.APPROVE_SWITCHOVER);
        assertThat(calls).containsExactly("inspectSource", "checkBlockJobs", "precreateDisks", "startDestination",
                "startNbdServer", "mirrorDisk:vda", "mirrorDisk:vdb", "startMigration", "switchOver",
                "resumeDestination", "stopSource");
        assertThat(variable(pi, Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_MIGRATED);
    }

    @Test
    void approvalHoldsTheSwitchoverUntilAPersonAgrees() {
        ProcessInstance pi = start(true);
        runJobs();
        correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of());
        assertThat(pi).isWaitingAt(Bpmn.APPROVE_SWITCHOVER);
        assertThat(calls).doesNotContain("startMigration");
        complete(task(pi), Map.of(Vars.SWITCHOVER_APPROVED, true));
        runJobs();
        correlate(pi, Bpmn.MESSAGE_SWITCHOVER_POINT, Map.of());
        assertThat(pi).isEnded().hasPassed(Bpmn.APPROVE_SWITCHOVER, "EndEvent_Migrated");
    }

    @Test
    void theApprovalTaskShowsTheDisksToCopyFromThePlan() {
        ProcessInstance pi = start(true);
        runJobs();
        correlate(pi, "mirrorsReady", Map.of());
        assertThat((String) taskService().getVariableLocal(task(pi).getId(), "disksToCopy")).isEqualTo("vda,vdb");
    }

    @Test
    void aDeclinedSwitchoverRollsEverythingBack() {
        ProcessInstance pi = start(true);
        runJobs();
        correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of());
        complete(task(pi), Map.of(Vars.SWITCHOVER_APPROVED, false));
        runJobs();
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack").hasNotPassed("EndEvent_Migrated");
        assertThat(calls).doesNotContain("startMigration", "switchOver")
                .endsWith("cancelSourceJobs", "cancelMirror", "cancelMirror", "stopNbdServer",
                        "stopDestination", "removePrecreatedDisks", "recordRollback");
        assertThat((String) variable(pi, Vars.FAILURE_REASON))
                .isEqualTo("Approve switchover: declined by an engine API call");
    }

    @Test
    void aCompletionThatDecidesNothingIsRefusedAndTheTaskStays() {
        ProcessInstance pi = start(true);
        runJobs();
        correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of());
        String taskId = task(pi).getId();
        assertThatThrownBy(() -> taskService().complete(taskId))
                .hasMessageContaining(Vars.SWITCHOVER_APPROVED + ": required");
        assertThatThrownBy(() -> taskService().complete(taskId, Map.of(Vars.SWITCHOVER_APPROVED, "yes")))
                .hasMessageContaining("got 'yes'");
        assertThat(pi).isWaitingAt(Bpmn.APPROVE_SWITCHOVER);
        assertThat(calls).doesNotContain("startMigration", "cancelSourceJobs");
    }

    @Test
    void activeBlockJobIsRefusedAndNothingIsUndoneOrTouched() {
        failAt.put("checkBlockJobs", "refuse: block job 'backup0' active");
        ProcessInstance pi = start(false);
        runJobs();
        assertThat(pi).isEnded().hasPassed("EndEvent_Refused").hasNotPassed(Bpmn.PRECREATE_DISKS);
        assertThat(calls).containsExactly("inspectSource", "checkBlockJobs", "recordRefusal");
        assertThat(variable(pi, Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);
        assertThat((String) variable(pi, Vars.FAILURE_REASON)).contains("backup0");
    }

    @Test
    void failureWhileStartingTheNbdServerUndoesOnlyCompletedStepsInReverse() {
        failAt.put("startNbdServer", "nbd-server-start: Address already in use");
        ProcessInstance pi = start(false);
        runJobs();
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack");
        assertThat(calls).containsExactly("inspectSource", "checkBlockJobs", "precreateDisks", "startDestination",
                "startNbdServer", "cancelSourceJobs", "stopDestination", "removePrecreatedDisks", "recordRollback");
        assertThat((String) variable(pi, Vars.FAILURE_REASON)).contains("Address already in use");
    }

    @Test
    void failureOfOneMirrorUndoesTheDestinationAfterTheSweepOfSourceJobs() {
        failAt.put("mirrorDisk", "vdb: Requested export not available");
        ProcessInstance pi = start(false);
        runJobs();
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack");
        assertThat(calls).containsSubsequence("mirrorDisk:vdb", "cancelSourceJobs", "stopNbdServer",
                "stopDestination", "removePrecreatedDisks", "recordRollback");
    }

    @Test
    void mirrorFailureReportedByTheWatchUndoesEveryMirrorThenTheDestination() {
        ProcessInstance pi = start(false);
        runJobs();
        correlate(pi, Bpmn.MESSAGE_MIRROR_FAILED,
                Map.of(Vars.WATCH_FAILURE, "mirror of vda failed: No space left on device"));
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack");
        List<String> undo = calls.subList(calls.indexOf("cancelSourceJobs"), calls.size());
        assertThat(undo).startsWith("cancelSourceJobs");
        // once per completed instance (the handler sweeps all of ours: it cannot see the instance's disk)
        assertThat(undo.subList(1, 3)).containsExactly("cancelMirror", "cancelMirror");
        assertThat(undo.subList(3, undo.size())).containsExactly("stopNbdServer", "stopDestination",
                "removePrecreatedDisks", "recordRollback");
        assertThat(variable(pi, Vars.FAILURE_REASON)).isEqualTo("mirror of vda failed: No space left on device");
    }

    @Test
    void convergenceTimeoutRollsBackWithAReason() {
        ProcessInstance pi = start(false);
        runJobs();
        Job timer = managementService().createJobQuery().timers().activityId("Event_MirrorsNotConverging").singleResult();
        managementService().executeJob(timer.getId());
        runJobs();
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack");
        assertThat((String) variable(pi, Vars.FAILURE_REASON)).contains("did not reach steady state within PT60S");
        assertThat(calls).containsSubsequence("cancelSourceJobs", "cancelMirror", "cancelMirror", "stopDestination");
    }

    @Test
    void failureAtSwitchoverCancelsTheMigrationAndEverythingBefore() {
        failAt.put("switchOver", "migration ended 'failed'");
        ProcessInstance pi = start(false);
        runJobs();
        correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of());
        correlate(pi, Bpmn.MESSAGE_SWITCHOVER_POINT, Map.of());
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack");
        List<String> undo = calls.subList(calls.indexOf("cancelSourceJobs"), calls.size());
        assertThat(undo.get(1)).isEqualTo("cancelMigration");
        assertThat(undo).endsWith("stopNbdServer", "stopDestination", "removePrecreatedDisks", "recordRollback");
    }

    @Test
    void withoutNbdTheLegacyBlockMigrationIsTakenAndUndoneLikeTheRest() {
        transport = StorageTransport.LEGACY.value();
        ProcessInstance pi = start(false);
        runJobs();
        assertThat(pi).isWaitingAt(Bpmn.WAIT_BLOCK_MIGRATION);
        correlate(pi, Bpmn.MESSAGE_BLOCK_MIGRATION_DONE, Map.of(Vars.DOWNTIME_MS, 12L));
        assertThat(pi).isEnded().hasPassedInOrder(Bpmn.PRECREATE_DISKS, Bpmn.START_DESTINATION,
                Bpmn.START_BLOCK_MIGRATION, Bpmn.WAIT_BLOCK_MIGRATION, Bpmn.RESUME_DESTINATION, Bpmn.STOP_SOURCE)
                .hasNotPassed(Bpmn.START_NBD_SERVER, Bpmn.MIRROR_DISKS, Bpmn.SWITCH_OVER);

        calls.clear();
        ProcessInstance failing = start(false);
        runJobs();
        correlate(failing, Bpmn.MESSAGE_MIGRATION_FAILED,
                Map.of(Vars.WATCH_FAILURE, "block migration failed: Broken pipe"));
        assertThat(failing).isEnded().hasPassed("EndEvent_RolledBack");
        assertThat(calls).endsWith("startBlockMigration", "cancelSourceJobs", "cancelMigration", "stopDestination",
                "removePrecreatedDisks", "recordRollback");
        assertThat(variable(failing, Vars.FAILURE_REASON)).isEqualTo("block migration failed: Broken pipe");
    }

    @Test
    void anAbortBeforeAStepStopsThatStepAndRollsBack() {
        ProcessInstance pi = start(false);
        // Inspect source and the checks run; abort while "Start destination" is still queued
        managementService().executeJob(managementService().createJobQuery().singleResult().getId());
        managementService().executeJob(managementService().createJobQuery().singleResult().getId());
        managementService().executeJob(managementService().createJobQuery().singleResult().getId());
        runtimeService().createMessageCorrelation(Bpmn.MESSAGE_ABORT).processInstanceId(pi.getId())
                .setVariable("abortedBy", "alice").correlate();
        runJobs();
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack", "EndEvent_AbortRecorded");
        assertThat(calls).doesNotContain("startDestination", "startNbdServer");
        assertThat(calls).endsWith("precreateDisks", "recordAbortRequest", "cancelSourceJobs", "removePrecreatedDisks",
                "recordRollback");
        assertThat(variable(pi, Vars.FAILURE_REASON)).isEqualTo("aborted by alice");
    }

    @Test
    void anAbortDuringAWaitIsTurnedIntoARollbackByTheWatcher() {
        ProcessInstance pi = start(true);
        runJobs();
        correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of());
        assertThat(pi).isWaitingAt(Bpmn.APPROVE_SWITCHOVER);
        runtimeService().createMessageCorrelation(Bpmn.MESSAGE_ABORT).processInstanceId(pi.getId())
                .setVariable("abortedBy", "bob").correlate();
        assertThat(pi).isWaitingAt(Bpmn.APPROVE_SWITCHOVER); // recorded, not yet acted on
        // what the watcher sends
        correlate(pi, Bpmn.MESSAGE_MIRROR_FAILED, Map.of(Vars.WATCH_FAILURE, "aborted by bob"));
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack");
        assertThat(calls).containsSubsequence("cancelSourceJobs", "cancelMirror", "cancelMirror", "stopNbdServer",
                "stopDestination", "removePrecreatedDisks", "recordRollback");
        assertThat(variable(pi, Vars.FAILURE_REASON)).isEqualTo("aborted by bob");
    }

    // ---- every failure point: the undo handlers of exactly the completed steps, in reverse order

    /** The steps before "fail", then the sweep, then the undo of each completed step, last first. */
    @ParameterizedTest(name = "failure at {0}")
    @MethodSource("failurePoints")
    void aFailureUndoesExactlyTheCompletedStepsInReverseOrder(String failingStep, List<String> expectedAfterFailure) {
        failAt.put(failingStep, failingStep + " failed: QEMU said no");
        ProcessInstance pi = start(false);
        runJobs();
        if (failingStep.equals("startMigration")) {
            correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of()); // it follows the wait for steady state
        }
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack").hasNotPassed("EndEvent_Migrated");
        int failedAt = calls.lastIndexOf(failingStep);
        assertThat(calls.subList(failedAt + 1, calls.size())).containsExactlyElementsOf(expectedAfterFailure);
        assertThat((String) variable(pi, Vars.FAILURE_REASON)).contains(failingStep + " failed: QEMU said no");
        assertThat(variable(pi, Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_ROLLED_BACK);
    }

    static Stream<Arguments> failurePoints() {
        return Stream.of(
                Arguments.of("inspectSource", List.of("cancelSourceJobs", "recordRollback")),
                Arguments.of("precreateDisks", List.of("cancelSourceJobs", "recordRollback")),
                Arguments.of("startDestination", List.of("cancelSourceJobs", "removePrecreatedDisks", "recordRollback")),
                Arguments.of("startNbdServer", List.of("cancelSourceJobs", "stopDestination", "removePrecreatedDisks",
                        "recordRollback")),
                Arguments.of("startMigration", List.of("cancelSourceJobs", "cancelMirror", "cancelMirror",
                        "stopNbdServer", "stopDestination", "removePrecreatedDisks", "recordRollback")));
    }

    @Test
    void aFailureAfterTheSwitchoverIsAnIncidentAndNothingIsUndone() {
        failAt.put("resumeDestination", "technical: destination monitor gone");
        ProcessInstance pi = start(false);
        runJobs();
        correlate(pi, Bpmn.MESSAGE_MIRRORS_READY, Map.of());
        runtimeService().createMessageCorrelation(Bpmn.MESSAGE_SWITCHOVER_POINT).processInstanceId(pi.getId())
                .correlate();
        managementService().executeJob(managementService().createJobQuery().activityId(Bpmn.SWITCH_OVER)
                .singleResult().getId());
        // the job executor's four attempts (the first and three retries), each failing
        for (int attempt = 0; attempt < 4; attempt++) {
            Job job = managementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
            assertThat(job.getRetries()).isEqualTo(4 - attempt);
            assertThatThrownBy(() -> managementService().executeJob(job.getId()))
                    .hasMessageContaining("destination monitor gone");
        }
        assertThat(pi).isNotEnded().isWaitingAt(Bpmn.RESUME_DESTINATION);
        assertThat(runtimeService().createIncidentQuery().processInstanceId(pi.getId()).singleResult()
                .getIncidentMessage()).contains("destination monitor gone");
        assertThat(calls).endsWith("switchOver", "resumeDestination", "resumeDestination", "resumeDestination",
                        "resumeDestination")
                .doesNotContain("cancelSourceJobs", "cancelMigration", "stopDestination", "removePrecreatedDisks",
                        "recordRollback");
    }

    /**
     * A monitor that drops while QEMU lives is retried by the job with back-off (PT1S,PT5S,PT15S); when the last attempt
     * fails too the migration rolls back instead of waiting for a person. The attempts run as the
     * job executor runs them (with its context: the step asks it how many attempts are left).
     */
    @Test
    void aMonitorThatKeepsDroppingIsRetriedThenRolledBack() {
        List<Integer> retriesSeen = new ArrayList<>();
        Mocks.register("startNbdServerDelegate", new MigrationStep() {
            @Override
            protected void run(DelegateExecution x) throws Exception {
                calls.add("startNbdServer");
                retriesSeen.add(Context.getJobExecutorContext().getCurrentJob().getRetries());
                throw new QmpClosedException("monitor connection closed");
            }
        });
        ProcessInstance pi = start(false);
        runJobsUntil(Bpmn.START_NBD_SERVER);
        Context.setJobExecutorContext(new JobExecutorContext());
        try {
            // back-off: the next attempt is due 1 s, then 5 s, then 15 s after a failure
            long[] waitsMs = {1_000, 5_000, 15_000};
            for (int attempt = 0; attempt < 3; attempt++) {
                Job job = managementService().createJobQuery().activityId(Bpmn.START_NBD_SERVER).singleResult();
                assertThatThrownBy(() -> managementService().executeJob(job.getId()))
                        .hasMessageContaining("monitor connection closed");
                assertThat(pi).isNotEnded();
                long dueIn = managementService().createJobQuery().activityId(Bpmn.START_NBD_SERVER).singleResult()
                        .getDuedate().getTime() - System.currentTimeMillis();
                assertThat(dueIn).as("wait after failure %d", attempt + 1)
                        .isBetween(waitsMs[attempt] - 1_000, waitsMs[attempt]);
            }
            managementService().executeJob(managementService().createJobQuery().activityId(Bpmn.START_NBD_SERVER)
                    .singleResult().getId());
        } finally {
            Context.removeJobExecutorContext();
        }
        runJobs();
        // the job is created with the cycle's attempts: the first and three retries
        assertThat(retriesSeen).containsExactly(4, 3, 2, 1);
        assertThat(pi).isEnded().hasPassed("EndEvent_RolledBack");
        assertThat(calls).endsWith("startNbdServer", "startNbdServer", "startNbdServer", "startNbdServer",
                "cancelSourceJobs",
                "stopDestination", "removePrecreatedDisks", "recordRollback");
        assertThat((String) variable(pi, Vars.FAILURE_REASON)).contains("monitor connection closed");
        assertThat(runtimeService().createIncidentQuery().count()).isZero();
    }

    /** Runs due jobs until the next one is that activity's. */
    private void runJobsUntil(String activityId) {
        for (int round = 0; round < 100; round++) {
            if (managementService().createJobQuery().activityId(activityId).count() > 0) {
                return;
            }
            Job job = managementService().createJobQuery().messages().singleResult();
            managementService().executeJob(job.getId());
        }
        throw new AssertionError("never reached " + activityId);
    }
}
