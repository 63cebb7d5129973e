package io.nbdflow.e2e;

import io.nbdflow.migration.StorageTransport;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A migrated domain's disks are on stable storage on the destination before the source quits:
 * the destination QEMU killed with SIGKILL (as a host crash would) right after the migration ended
 * leaves images identical to the source's. Without the flush the legacy block migration's copy
 * reads back empty (its qcow2 metadata was still in the destination QEMU's memory); the NBD
 * mirror flushes its target as it completes, and this keeps it so.
 */
class DurableCopyTest extends MigrationTestBase {

    @Test
    void aTunnelledCopySurvivesTheDestinationKilledRightAfterTheMigration() throws Exception {
        migrateThenCrashDestination("dur-leg", Map.of("destinationHost", "host-b", "tunnelled", true),
                StorageTransport.LEGACY);
    }

    @Test
    void anNbdCopySurvivesTheDestinationKilledRightAfterTheMigration() throws Exception {
        migrateThenCrashDestination("dur-nbd", Map.of("destinationHost", "host-b"), StorageTransport.NBD);
    }

    private void migrateThenCrashDestination(String name, Map<String, Object> request, StorageTransport transport)
            throws Exception {
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        String id = migrate(name, request); // keeps the source's image, to compare with
        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(transport.value());

        kill(hostB().domainDir(name).resolve("qemu.pid"));

        Path copy = hostB().storageDir().resolve(name + "-vda.qcow2");
        assertThat(TestImages.compare(vda, copy)).as("the copy after a crash of the destination equals the source")
                .isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x11, 0, 64 * MiB)).as("the written 64 MiB").isTrue();
    }
}
