package io.nbdflow.e2e;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Wait;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.exception.NullValueException;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults on the destination's side of real migrations: its QEMU killed while the disks are
 * mirrored, while the switchover waits for approval, or during the RAM migration, and a file in
 * the way in its storage folder. After each, the invariants of a {@link FaultScenario} hold: the
 * migration ends rolled-back (or refused) with a reason, the source guest runs on host-a with what
 * it wrote meanwhile, host-b holds nothing of it (files, QEMU, listening ports), the source has no
 * block job of ours, and the same migration started again succeeds.
 * <p>
 * Disks are small (256 MiB virtual, 64 MiB written) and the bandwidth is limited, so the mirror
 * lasts a few seconds: a reliable window for the injection. Run on this machine's hosts by
 * {@link FaultInjectionTest}, over SSH by {@link SshDestinationFaultsTest}.
 */
abstract class DestinationFaultCases extends MigrationTestBase {

    @Test
    void destinationKilledWhileDisksAreMirrored() throws Exception {
        FaultScenario s = scenario("fi-dst-mirror", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));

        s.migrate();
        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            kill(pidFile(hostB(), s.name()));
        }
        s.awaitEnd(Duration.ofSeconds(120));

        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }

    @Test
    void anExistingDestinationFileIsRefusedAndLeftAlone() throws Exception {
        FaultScenario s = scenario("fi-exists", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));
        Path inTheWay = hostB().storageDir().resolve(s.name() + "-vda.qcow2");
        Files.writeString(seen(hostB(), inTheWay), "somebody else's data\n");
        String checksum = sha256(seen(hostB(), inTheWay));

        try (QmpClient qmp = tools(s.name())) {
            guestWrite(qmp);
        }
        s.migrate(); // host-b's storage as noted now holds the file in the way
        s.awaitEnd(Duration.ofSeconds(60));

        assertThat(s.failureReason()).contains(inTheWay.toString());
        s.assertEndedCleanly(Vars.OUTCOME_REFUSED, Set.of());
        assertThat(seen(hostB(), hostB().domainDir(s.name()))).as("nothing started on host-b").doesNotExist();
        assertThat(sha256(seen(hostB(), inTheWay))).as("the file in the way is untouched").isEqualTo(checksum);

        Files.delete(seen(hostB(), inTheWay));
        s.assertSameMigrationSucceeds();
    }

    @Test
    void destinationKilledWhileWaitingForApproval() throws Exception {
        FaultScenario s = scenario("fi-dst-approve", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16, "approveSwitchover", true));

        String id = s.migrate();
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
        try (QmpClient qmp = tools(s.name())) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors in sync").isNotEmpty().allMatch(BlockJob::ready);
            guestWrite(qmp);
            kill(pidFile(hostB(), s.name()));
        }
        approveUnlessTheWatcherEndedTheWait(id);
        s.awaitEnd(Duration.ofSeconds(120));

        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }

    @Test
    void destinationKilledDuringTheRamMigration() throws Exception {
        // a tiny disk: at 1 MiB/s the mirror is over in seconds, and the RAM migration is slow enough to hit
        FaultScenario s = scenario("fi-dst-ram", 8 * MiB, MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 1));

        s.migrate();
        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            guestWrite(qmp);
            // kill the destination the moment the source reports the RAM migration active (a tight poll)
            Wait.every(Duration.ofMillis(2)).until("RAM migration started", Duration.ofSeconds(90), () -> {
                String status = SourceSide.queryMigrate(qmp).status();
                if (!status.equals("active")) {
                    assertThat(status).as("RAM migration seen before its end").isIn("none", "setup");
                }
                return status;
            }, "active"::equals);
            kill(pidFile(hostB(), s.name()));
        }
        s.awaitEnd(Duration.ofSeconds(120));

        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }

    /**
     * The approval, as a person gives it after the kill. The watcher may notice the dead destination
     * first (a source event can wake it at once) and end the wait itself: then there is no task left,
     * or completing it collides with that; either way the migration must roll back.
     */
    private void approveUnlessTheWatcherEndedTheWait(String id) throws InterruptedException {
        Task task = processEngine.getTaskService().createTaskQuery().processInstanceId(id).singleResult();
        if (task == null) {
            return;
        }
        try {
            processEngine.getTaskService().complete(task.getId(), Map.of(Vars.SWITCHOVER_APPROVED, true));
        } catch (OptimisticLockingException | NullValueException e) {
            // the watcher's interruption committed first
        } catch (ProcessEngineException e) {
            // the interruption may also remove the task's execution while the completion runs, so
            // that its listener finds the approval gone; then the task is gone too. A task still
            // open means the completion itself was refused.
            try {
                Wait.until("the approval task ended by the watcher", Duration.ofSeconds(10), () ->
                        processEngine.getTaskService().createTaskQuery().taskId(task.getId()).count() == 0);
            } catch (AssertionError stillOpen) {
                e.addSuppressed(stillOpen);
                throw e;
            }
        }
    }
}
