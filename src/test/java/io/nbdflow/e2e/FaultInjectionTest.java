package io.nbdflow.e2e;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
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
 * moment, a foreign block job, a file in the way; the destination's side is in
 * {@link DestinationFaultCases}, the source's here. After each, the invariants of a
 * {@link FaultScenario} hold: the migration ends rolled-back (or refused) with a reason, the
 * source guest runs on host-a with what it wrote meanwhile, host-b holds nothing of it (files,
 * QEMU, listening ports), the source has no block job of ours, and the same migration started
 * again succeeds.
 * <p>
 * Disks are small (256 MiB virtual, 64 MiB written) and the bandwidth is limited, so the mirror
 * lasts a few seconds: a reliable window for the injection.
 */
class FaultInjectionTest extends DestinationFaultCases {

    @Test
    void aBlockJobAlreadyActiveOnTheSourceIsRefused(@TempDir Path operatorDir) throws Exception {
        FaultScenario s = scenario("fi-busy", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));

        try (QmpClient qmp = tools(s.name())) {
            // an operator's own mirror, slow enough to outlast the check
            qmp.execute("drive-mirror", Map.of("job-id", "operator-job", "device", "drive-vda",
                    "target", operatorDir.resolve("copy.qcow2").toString(), "format", "qcow2",
                    "sync", "full", "speed", MiB));
            guestWrite(qmp);
        }
        s.migrate();
        s.awaitEnd(Duration.ofSeconds(60));
        assertThat(s.failureReason()).contains("operator-job");
        s.assertEndedCleanly(Vars.OUTCOME_REFUSED, Set.of("operator-job"));
        assertThat(seen(hostB(), hostB().domainDir(s.name()))).as("nothing started on host-b").doesNotExist();

        try (QmpClient qmp = tools(s.name())) {
            qmp.execute("block-job-cancel", Map.of("device", "operator-job", "force", true));
            awaitNoBlockJobs(qmp);
        }
        s.assertSameMigrationSucceeds();
    }

    @Test
    void sourceKilledWhileDisksAreMirrored() throws Exception {
        FaultScenario s = scenario("fi-src-mirror", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));

        s.migrate();
        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            kill(pidFile(hostA(), s.name()));
        }
        s.awaitEnd(Duration.ofSeconds(120));

        s.assertRolledBackWithTheSourceStopped();

        // the operator starts the guest again; then the migration goes through
        assertThat(api().postForEntity("/api/domains/" + s.name() + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        s.assertSameMigrationSucceeds();
    }

    @Test
    void mirrorsNotConvergingInTimeRollBack() throws Exception {
        FaultScenario s = scenario("fi-slow", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));

        // the mirror copies at 1 MiB/s while the guest dirties 4 MiB/s: it can never converge
        String id = s.migrate(Map.of("destinationHost", "host-b", "bandwidthMiBps", 1));
        // an operator's short deadline (as one could set in Cockpit)
        shortenConvergenceTimeout(id, "PT4S");
        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            guestWrite(qmp);
            // until the migration ends, the guest writes 2 MiB every 500 ms, each time to the next chunk
            long[] chunk = {0};
            Wait.every(Duration.ofMillis(500)).until("migration " + id + " ended", Duration.ofSeconds(120), () -> {
                if (ended(id)) {
                    return true;
                }
                guestWrite(qmp, "virtio-disk0", "write -P 0x3c " + (64 + 2 * chunk[0]) + "M 2M");
                chunk[0] = (chunk[0] + 1) % 64;
                return false;
            });
        }

        assertThat(s.failureReason()).contains("steady state within PT4S");
        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
        assertThat(TestImages.verify(seen(hostA(), s.vda()), "qcow2", 0x3c, 64 * MiB, 2 * MiB))
                .as("the guest's first write while the mirror fell behind").isTrue();
    }
}
