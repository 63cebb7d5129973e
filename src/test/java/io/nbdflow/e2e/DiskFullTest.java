package io.nbdflow.e2e;

import io.nbdflow.host.ExternalCommand;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.QemuReaper;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The destination's storage fills up in the middle of the mirror: host-b's storage folder is an
 * 80 MiB tmpfs, enough for the disk's 4 MiB of data when the migration starts (Inspect source checks
 * that: 4 MiB + 5% + 64 MiB), but the guest then writes 96 MiB more while the mirror runs. The NBD
 * server on the destination answers ENOSPC, the mirror job fails, the migration rolls back and
 * leaves host-b as it was; with the space back (tmpfs unmounted) the same migration succeeds.
 * <p>
 * Its own application context (the extra property makes Spring build one), so that host-b's
 * storage folder is empty when the tmpfs is mounted over it; closed after the class.
 */
@TestPropertySource(properties = "nbdflow-test.context=disk-full")
@DirtiesContext // closed after the class: its engine and QEMUs do not linger for the rest of the suite
class DiskFullTest extends MigrationTestBase {

    @Test
    void destinationRunningOutOfSpaceMidMirrorRollsBack() throws Exception {
        String name = "df-enospc";
        Path storage = hostB().storageDir();
        try (Stream<Path> files = Files.list(storage)) {
            assertThat(files.toList()).as("host-b storage empty before the mount").isEmpty();
        }
        run(List.of("mount", "-t", "tmpfs", "-o", "size=80m", "tmpfs", storage.toString()));
        FaultScenario s;
        try {
            s = scenario(name, 256 * MiB, 4 * MiB, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));
            try (QmpClient qmp = tools(name)) {
                guestWrite(qmp);
                s.migrate();
                awaitMirrorJobs(qmp, 1);
                // past the pre-flight: more than the destination can hold, written while the mirror runs
                guestWrite(qmp, "virtio-disk0", "write -P 0x22 " + 8 * MiB + " " + 96 * MiB);
            }
            s.awaitEnd(Duration.ofSeconds(120));

            assertThat(s.failureReason()).as(Vars.FAILURE_REASON).containsIgnoringCase("mirror").contains("No space");
            s.assertRolledBack();
        } finally {
            // a destination QEMU left by a failure would keep the tmpfs busy (this context is ours alone)
            QemuReaper.killAllBelow(hostB().domainDir(name).getParent());
            unmount(storage);
        }
        s.assertSameMigrationSucceeds();
    }

    /** Unmounts; lazily if something still holds it, so that no mount outlives the test. */
    private static void unmount(Path dir) {
        ExternalCommand.Result r = ExternalCommand.run(List.of("umount", dir.toString()), Duration.ofSeconds(30));
        if (r.exitCode() != 0) {
            run(List.of("umount", "-l", dir.toString()));
            throw new AssertionError("umount " + dir + " failed: " + r.stdout() + r.stderr());
        }
    }

    private static void run(List<String> command) {
        ExternalCommand.Result r = ExternalCommand.run(command, Duration.ofSeconds(30));
        assertThat(r.exitCode()).as("%s: %s%s", command, r.stdout(), r.stderr()).isZero();
    }
}
