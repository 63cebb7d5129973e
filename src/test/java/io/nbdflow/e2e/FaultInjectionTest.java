package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestImages;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.RuntimeService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpStatus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults injected into real migrations (real QEMU on both hosts): a QEMU killed at a chosen
 * moment, a foreign block job, a file in the way. After each, the same invariants hold: the
 * migration ends rolled-back (or refused) with a reason, the source guest runs on host-a with
 * what it wrote meanwhile, host-b holds nothing of it (files, QEMU, listening ports), the source
 * has no block job of ours, and the same migration started again succeeds.
 * <p>
 * Disks are small (256 MiB virtual, 64 MiB written) and the bandwidth is limited, so the mirror
 * lasts a few seconds: a reliable window for the injection.
 */
class FaultInjectionTest extends MigrationTestBase {

    @Test
    void destinationKilledWhileDisksAreMirrored() throws Exception {
        String name = "fi-dst-mirror";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            kill(hostB().domainDir(name).resolve("qemu.pid"));
        }
        awaitEnd(id, Duration.ofSeconds(120));

        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void aBlockJobAlreadyActiveOnTheSourceIsRefused(@TempDir Path operatorDir) throws Exception {
        String name = "fi-busy";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        try (QmpClient qmp = tools(name)) {
            // an operator's own mirror, slow enough to outlast the check
            qmp.execute("drive-mirror", Map.of("job-id", "operator-job", "device", "drive-vda",
                    "target", operatorDir.resolve("copy.qcow2").toString(), "format", "qcow2",
                    "sync", "full", "speed", MiB));
            guestWrite(qmp);
        }
        String id = migrate(name, request);
        awaitEnd(id, Duration.ofSeconds(60));
        assertThat((String) variables(id).get("failureReason")).contains("operator-job");
        assertRolledBackCleanly(name, id, "refused", before, Set.of("operator-job"));
        assertThat(hostB().domainDir(name)).as("nothing started on host-b").doesNotExist();

        try (QmpClient qmp = tools(name)) {
            qmp.execute("block-job-cancel", Map.of("device", "operator-job", "force", true));
            awaitNoBlockJobs(qmp);
        }
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void anExistingDestinationFileIsRefusedAndLeftAlone() throws Exception {
        String name = "fi-exists";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Path inTheWay = hostB().storageDir().resolve(name + "-vda.qcow2");
        Files.writeString(inTheWay, "somebody else's data\n");
        String checksum = sha256(inTheWay);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        try (QmpClient qmp = tools(name)) {
            guestWrite(qmp);
        }
        String id = migrate(name, request);
        awaitEnd(id, Duration.ofSeconds(60));

        assertThat((String) variables(id).get("failureReason")).contains(inTheWay.toString());
        assertRolledBackCleanly(name, id, "refused", before, Set.of());
        assertThat(hostB().domainDir(name)).as("nothing started on host-b").doesNotExist();
        assertThat(sha256(inTheWay)).as("the file in the way is untouched").isEqualTo(checksum);

        Files.delete(inTheWay);
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void destinationKilledWhileWaitingForApproval() throws Exception {
        String name = "fi-dst-approve";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16,
                "approveSwitchover", true);

        String id = migrate(name, request);
        awaitActivity(id, "UserTask_ApproveSwitchover", Duration.ofSeconds(90));
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors in sync").isNotEmpty().allMatch(BlockJob::ready);
            guestWrite(qmp);
            kill(hostB().domainDir(name).resolve("qemu.pid"));
        }
        approve(id);
        awaitEnd(id, Duration.ofSeconds(120));

        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void sourceKilledWhileDisksAreMirrored() throws Exception {
        String name = "fi-src-mirror";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            kill(hostA().domainDir(name).resolve("qemu.pid"));
        }
        awaitEnd(id, Duration.ofSeconds(120));

        Map<String, Object> vars = variables(id);
        assertThat(vars.get("outcome")).isEqualTo("rolled-back");
        assertThat((String) vars.get("failureReason")).isNotBlank();
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("shutoff");
        assertDestinationClean(name, vars, before);
        assertNoPortReserved(id);

        // the operator starts the guest again; then the migration goes through
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void destinationKilledDuringTheRamMigration() throws Exception {
        String name = "fi-dst-ram";
        // a tiny disk: at 1 MiB/s the mirror is over in seconds, and the RAM migration is slow enough to hit
        Path vda = startDomain(name, 8 * MiB, MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 1);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            guestWrite(qmp);
            // kill the destination the moment the source reports the RAM migration active
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            String status = SourceSide.queryMigrate(qmp).status();
            while (!status.equals("active")) {
                assertThat(status).as("RAM migration seen before its end").isIn("none", "setup");
                assertThat(System.nanoTime()).as("RAM migration started").isLessThan(deadline);
                Thread.sleep(2);
                status = SourceSide.queryMigrate(qmp).status();
            }
            kill(hostB().domainDir(name).resolve("qemu.pid"));
        }
        awaitEnd(id, Duration.ofSeconds(120));

        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void mirrorsNotConvergingInTimeRollBack() throws Exception {
        String name = "fi-slow";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        // the mirror copies at 1 MiB/s while the guest dirties 4 MiB/s: it can never converge
        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 1));
        // an operator's short deadline (as one could set in Cockpit)
        shortenConvergenceTimeout(id, "PT4S");
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            guestWrite(qmp);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            for (long chunk = 0; !ended(id); chunk = (chunk + 1) % 64) {
                assertThat(System.nanoTime()).as("migration %s ended", id).isLessThan(deadline);
                guestWrite(qmp, "virtio-disk0", "write -P 0x3c " + (64 + 2 * chunk) + "M 2M");
                Thread.sleep(500);
            }
        }

        assertThat((String) variables(id).get("failureReason")).contains("steady state within PT4S");
        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
        assertThat(TestImages.verify(vda, "qcow2", 0x3c, 64 * MiB, 2 * MiB))
                .as("the guest's first write while the mirror fell behind").isTrue();
    }

    // ---- helpers

    /** Overrides the computed convergence timeout before the wait for steady state starts its timer. */
    private void shortenConvergenceTimeout(String id, String timeout) throws InterruptedException {
        RuntimeService runtime = processEngine.getRuntimeService();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            assertThat(runtime.createExecutionQuery().processInstanceId(id).activityId("Task_WaitSteadyState")
                    .count()).as("timeout set before the wait began").isZero();
            assertThat(System.nanoTime()).as("convergenceTimeout computed").isLessThan(deadline);
            try {
                if (runtime.getVariable(id, "convergenceTimeout") != null) {
                    runtime.setVariable(id, "convergenceTimeout", timeout);
                    return;
                }
            } catch (OptimisticLockingException e) {
                // a step committed meanwhile: try again
            }
            Thread.sleep(5);
        }
    }
}
