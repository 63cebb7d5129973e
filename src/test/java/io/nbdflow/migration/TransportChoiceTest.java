package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbdflow.host.DiskDefinition;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransportChoiceTest {
    private static final Set<String> SOURCE = Set.of("blockdev-add", "blockdev-mirror", "blockdev-del",
            "block-job-cancel", "query-block-jobs", "migrate-continue");
    private static final Set<String> DESTINATION = Set.of("nbd-server-start", "nbd-server-stop", "block-export-add",
            "migrate-incoming");
    private static final List<DiskDefinition> DISKS = List.of(
            new DiskDefinition("vda", "/img/vda.qcow2", "qcow2", false),
            new DiskDefinition("vdb", "/img/base.iso", "raw", true));

    @Test
    void nbdWhenBothSidesCan() {
        TransportChoice choice = TransportChoice.choose(false, SOURCE, DESTINATION);

        assertThat(choice).isEqualTo(new TransportChoice(StorageTransport.NBD, true, null));
        assertThat(choice.nbd()).isTrue();
    }

    @Test
    void legacyWithItsReason() {
        assertThat(TransportChoice.choose(true, SOURCE, DESTINATION))
                .isEqualTo(new TransportChoice(StorageTransport.LEGACY, false, "tunnelled migration was requested"));
        assertThat(TransportChoice.choose(false, Set.of("blockdev-add"), DESTINATION))
                .isEqualTo(new TransportChoice(StorageTransport.LEGACY, false, "the source QEMU lacks "
                        + "[blockdev-mirror, blockdev-del, block-job-cancel, query-block-jobs, migrate-continue]"));
        // the source still announces NBD in its cookie: it can mirror, the destination cannot serve
        assertThat(TransportChoice.choose(false, SOURCE, Set.of("nbd-server-start", "nbd-server-stop")))
                .isEqualTo(new TransportChoice(StorageTransport.LEGACY, true,
                        "the destination QEMU lacks [block-export-add or nbd-server-add, migrate-incoming]"));
    }

    @Test
    void legacyNeedsNamedDrivesAndEveryWritableDisk() {
        TransportChoice legacy = TransportChoice.choose(true, SOURCE, DESTINATION);
        legacy.requireLegacyPossible(Set.of("drive-vda", "drive-vdb"), DISKS, List.of("vda"));

        assertThatThrownBy(() -> legacy.requireLegacyPossible(Set.of("drive-vda"), DISKS, List.of("vda")))
                .isInstanceOfSatisfying(MigrationRefusedException.class, e -> assertThat(e.field()).isEqualTo("domain"))
                .hasMessage("NBD cannot be used (tunnelled migration was requested) and the legacy block migration "
                        + "cannot either: disk(s) [vdb] have no named -drive backend (the domain arrived over NBD), "
                        + "which QEMU's block migration needs to match disks on the destination");
        List<DiskDefinition> twoWritable = List.of(DISKS.get(0),
                new DiskDefinition("vdc", "/img/vdc.raw", "raw", false));
        assertThatThrownBy(() -> legacy.requireLegacyPossible(Set.of("drive-vda", "drive-vdc"), twoWritable,
                List.of("vda")))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("migrateDisks"))
                .hasMessage("migrateDisks: NBD cannot be used (tunnelled migration was requested) and the legacy "
                        + "block migration copies every writable disk; a selection of disks needs NBD on both sides");
    }

    @Test
    void transportValuesAreTheVariablesWords() {
        assertThat(StorageTransport.NBD.value()).isEqualTo("nbd");
        assertThat(StorageTransport.LEGACY.value()).isEqualTo("legacy");
        for (StorageTransport t : StorageTransport.values()) {
            assertThat(StorageTransport.fromValue(t.value())).isEqualTo(t);
        }
        assertThatThrownBy(() -> StorageTransport.fromValue("tcp")).isInstanceOf(IllegalArgumentException.class);
    }
}
