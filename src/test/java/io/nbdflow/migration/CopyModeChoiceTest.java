package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The copy mode a disk's mirror starts in, and the guest's written bytes read from QEMU's blockstats. */
class CopyModeChoiceTest {
    private static final long MIB = 1 << 20;

    @Test
    void aModeAskedForByNameIsTaken() {
        for (MirrorCopyMode mode : new MirrorCopyMode[]{MirrorCopyMode.BACKGROUND, MirrorCopyMode.WRITE_BLOCKING}) {
            CopyModeChoice choice = CopyModeChoice.decide(mode, 2 * MIB, OptionalLong.of(100 * MIB));
            assertThat(choice.mode()).isEqualTo(mode);
            assertThat(choice.describe()).isEqualTo(mode.value() + " (requested)");
        }
    }

    @Test
    void autoGoesWriteBlockingWhenTheGuestWritesFasterThanHalfTheLimit() {
        CopyModeChoice fast = CopyModeChoice.decide(MirrorCopyMode.AUTO, 2 * MIB, OptionalLong.of(8 * MIB));
        assertThat(fast.mode()).isEqualTo(MirrorCopyMode.WRITE_BLOCKING);
        assertThat(fast.describe()).isEqualTo(
                "write-blocking (auto: the guest writes 8.0 MiB/s, more than half the limit of 2.0 MiB/s)");
        assertThat(CopyModeChoice.decide(MirrorCopyMode.AUTO, 2 * MIB, OptionalLong.of(MIB + 1)).mode())
                .isEqualTo(MirrorCopyMode.WRITE_BLOCKING);
    }

    @Test
    void autoStaysInTheBackgroundForAGuestWritingAtMostHalfTheLimit() {
        CopyModeChoice calm = CopyModeChoice.decide(MirrorCopyMode.AUTO, 2 * MIB, OptionalLong.of(MIB));
        assertThat(calm.mode()).isEqualTo(MirrorCopyMode.BACKGROUND);
        assertThat(calm.reason()).isEqualTo("auto: the guest writes 1.0 MiB/s, at most half the limit of 2.0 MiB/s");
        assertThat(CopyModeChoice.decide(MirrorCopyMode.AUTO, 2 * MIB, OptionalLong.of(0)).mode())
                .isEqualTo(MirrorCopyMode.BACKGROUND);
    }

    @Test
    void autoWithoutALimitOrAKnownRateStaysInTheBackground() {
        assertThat(CopyModeChoice.decide(MirrorCopyMode.AUTO, 0, OptionalLong.of(500 * MIB)).describe())
                .isEqualTo("background (auto: no bandwidth limit)");
        assertThat(CopyModeChoice.decide(MirrorCopyMode.AUTO, 2 * MIB, OptionalLong.empty()).describe())
                .isEqualTo("background (auto: the guest's write rate is unknown)");
    }

    @Test
    void qemuIsOnlyAskedForItsOwnModes() {
        assertThatThrownBy(() -> new MirrorOptions("vda", "127.0.0.2", 49152, false, 0, MirrorCopyMode.AUTO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("copyMode");
        assertThat(new MirrorOptions("vda", "127.0.0.2", 49152, false, 0).copyMode())
                .isEqualTo(MirrorCopyMode.BACKGROUND);
    }

    @Test
    void writtenBytesAreFoundByDriveBackendOrByNode() throws Exception {
        // as QEMU 7.2 answers query-blockstats for a -drive disk (vda) and a -blockdev one (vdb)
        JsonNode stats = new ObjectMapper().readTree("""
                [{"device": "drive-vda", "node-name": "#block110",
                  "qdev": "/machine/peripheral/virtio-disk0/virtio-backend", "stats": {"wr_bytes": 2097152}},
                 {"device": "", "node-name": "drive-vdb",
                  "qdev": "/machine/peripheral/virtio-disk1/virtio-backend", "stats": {"wr_bytes": 1048576}},
                 {"device": "", "node-name": "nbdflow-target-vdc", "stats": {"wr_bytes": 999}}]
                """);
        assertThat(GuestWriteRate.writtenBytes(stats, "vda")).hasValue(2 * MIB);
        assertThat(GuestWriteRate.writtenBytes(stats, "vdb")).hasValue(MIB);
        assertThat(GuestWriteRate.writtenBytes(stats, "vdc")).as("no disk of that name").isEmpty();
    }
}
