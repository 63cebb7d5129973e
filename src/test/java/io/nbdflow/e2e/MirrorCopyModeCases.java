package io.nbdflow.e2e;

import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mirror's copy mode against a guest that dirties its disk faster than the bandwidth limit
 * lets the mirror copy ({@link DiskDirtier}: 8 MiB/s against 2 MiB/s), on real QEMU: a
 * write-blocking mirror (asked for, or chosen by {@code auto} from the guest's write rate) gets in
 * sync while the guest goes on writing, and the copy holds every write; a background one never
 * does (in {@link MirrorCopyModeTest}).
 */
abstract class MirrorCopyModeCases extends MigrationTestBase {
    protected static final long LIMIT_MIBPS = 2;
    protected static final int MEMORY_MIB = 64;
    /** The guest's last write, made once the disks are in sync, looked for on the destination. */
    private static final int LAST_PATTERN = 0x5c;
    private static final long LAST_OFFSET = 40 * MiB;

    @Test
    void autoGoesWriteBlockingForAGuestWritingFasterThanTheLimit() throws Exception {
        migratesWhileTheGuestDirties("cm-auto", "auto", "write-blocking (auto: the guest writes ");
    }

    /**
     * A one-disk domain whose guest dirties vda from before the migration (so that {@code auto}
     * sees it) until the disks are in sync: the migration waits for approval, the guest's writes
     * meanwhile keep the mirror in sync; then the guest's last write, the approval, and the checks:
     * migrated, the mode recorded, the last write on the destination, the copy equal to the source.
     */
    protected void migratesWhileTheGuestDirties(String name, String mode, String recordedMode) throws Exception {
        Path vda = startDomain(name, MEMORY_MIB, Map.of("vda", 64 * MiB), MiB);
        String id;
        try (QmpClient qmp = tools(name); DiskDirtier guest = DiskDirtier.start(qmp)) {
            guest.awaitAreaWritten();
            id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", LIMIT_MIBPS,
                    "mirrorCopyMode", mode, "approveSwitchover", true));
            awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
            int writes = guest.stop();
            System.out.printf("%s: in sync with the guest writing %d MiB/s (limit %d MiB/s), %d writes of 2 MiB%n",
                    mode, 8, LIMIT_MIBPS, writes);
            DiskDirtier.write(qmp, LAST_PATTERN, LAST_OFFSET, MiB);
            approve(id);
        }
        awaitEnd(id, Duration.ofSeconds(120));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat((String) vars.get(Vars.MIRROR_COPY_MODE_USED)).startsWith("vda: " + recordedMode);
        assertVariablesPlain(id);

        Path copy = seen(hostB(), hostB().storageDir().resolve(name + "-vda.qcow2"));
        stop(name);
        assertThat(TestImages.verify(copy, "qcow2", LAST_PATTERN, LAST_OFFSET, MiB))
                .as("the guest's last write, on the destination").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", DiskDirtier.PATTERN, DiskDirtier.AREA_OFFSET,
                DiskDirtier.AREA_LENGTH)).as("the guest's writes during the mirror, on the destination").isTrue();
        assertThat(TestImages.compare(seen(hostA(), vda), copy)).as("the copy equals the source").isTrue();
    }
}
