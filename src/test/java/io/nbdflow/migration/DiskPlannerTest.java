package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.Host;
import io.nbdflow.host.ImageInfo;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DiskPlannerTest {

    private static final DiskDefinition VDA = new DiskDefinition("vda", "/img/web1-vda.qcow2", "qcow2", false);
    private static final DiskDefinition VDB = new DiskDefinition("vdb", "/img/base.iso", "raw", true);
    private static final DiskDefinition VDC = new DiskDefinition("vdc", "/img/web1-vdc.raw", "raw", false);
    private static final List<DiskDefinition> DISKS = List.of(VDA, VDB, VDC);
    private static final Map<String, ImageInfo> IMAGES = Map.of(
            "vda", new ImageInfo("qcow2", 1 << 30, 1 << 20, "base.qcow2", "/img/base.qcow2", "qcow2"),
            "vdb", new ImageInfo("raw", 1 << 20, 1 << 20, null, null, null),
            "vdc", new ImageInfo("raw", 1 << 24, 1 << 24, null, null, null));
    private static final Host HOST_B = new Host("host-b", InetAddress.getLoopbackAddress(), Path.of("/srv/b/state"),
            Path.of("/srv/b/images"));

    private static List<String> select(String migrateDisks) {
        return DiskPlanner.select("web1", DISKS, new DiskSelection(migrateDisks));
    }

    private static DiskPlan plan(List<String> toCopy, CopyStorage copyStorage, Set<Path> onDestination) {
        return DiskPlanner.plan("web1", DISKS, IMAGES, toCopy, copyStorage, HOST_B, onDestination::contains);
    }

    // ---- the selection

    @Test
    void byDefaultWritableDisksAreCopiedAndReadOnlyOnesShared() {
        for (String none : new String[] {null, "", "  "}) {
            assertThat(new DiskSelection(none).everyWritableDisk()).isTrue();
            DiskPlan plan = plan(select(none), CopyStorage.ALL, Set.of());

            assertThat(plan.targetsToCopy()).containsExactly("vda", "vdc");
            assertThat(plan.shared()).extracting(PlannedDisk::target).containsExactly("vdb");
        }
    }

    @Test
    void listedDisksAreCopiedInTheDomainsOrder() {
        DiskPlan plan = plan(select(" vdc , vda"), CopyStorage.ALL, Set.of());

        assertThat(plan.targetsToCopy()).containsExactly("vda", "vdc");
        assertThat(plan.shared()).extracting(PlannedDisk::target).containsExactly("vdb");
    }

    @Test
    void unlistedWritableDisksAreShared() {
        DiskPlan plan = plan(select("vdc"), CopyStorage.ALL, Set.of());

        assertThat(plan.targetsToCopy()).containsExactly("vdc");
        assertThat(plan.shared()).extracting(PlannedDisk::target).containsExactly("vda", "vdb");
    }

    @Test
    void unknownTargetIsRejected() {
        assertThatThrownBy(() -> DiskPlanner.select("web1", List.of(VDA, VDB), new DiskSelection("vda,vdz")))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("migrateDisks"))
                .hasMessage("migrateDisks: domain 'web1' has no disk 'vdz' (disks: vda, vdb)");
    }

    @Test
    void readOnlyDiskIsRejected() {
        assertThatThrownBy(() -> select("vda,vdb"))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("migrateDisks"))
                .hasMessage("migrateDisks: vdb is read-only; read-only disks are never copied");
    }

    @Test
    void emptyEntriesAndDuplicatesAreRejected() {
        assertThatThrownBy(() -> select("vda,,vdc"))
                .isInstanceOf(MigrationRefusedException.class)
                .hasMessage("migrateDisks: empty entry in 'vda,,vdc'");
        assertThatThrownBy(() -> select("vda,"))
                .hasMessage("migrateDisks: empty entry in 'vda,'");
        assertThatThrownBy(() -> select("vda, vda"))
                .isInstanceOf(MigrationRefusedException.class)
                .hasMessage("migrateDisks: vda is listed twice");
    }

    @Test
    void aDomainListingATargetTwiceIsAnError() {
        assertThatThrownBy(() -> DiskPlanner.select("web1", List.of(VDA, VDA), DiskSelection.EVERY_WRITABLE_DISK))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("domain 'web1' lists disk vda twice");
    }

    // ---- the plan

    @Test
    void copiedDisksGoToTheStorageDirSharedOnesKeepTheirPath() {
        DiskPlan plan = plan(List.of("vda"), CopyStorage.ALL, Set.of());

        assertThat(plan.disks()).containsExactly(
                new PlannedDisk("vda", "qcow2", false, 1 << 30, "/img/web1-vda.qcow2", "/srv/b/images/web1-vda.qcow2",
                        true, null, null),
                new PlannedDisk("vdb", "raw", true, 1 << 20, "/img/base.iso", "/img/base.iso", false, null, null),
                new PlannedDisk("vdc", "raw", false, 1 << 24, "/img/web1-vdc.raw", "/img/web1-vdc.raw", false, null,
                        null));
        assertThat(plan.bytesToCopy()).isEqualTo(1 << 30);
        assertThat(plan.disks()).extracting(PlannedDisk::nodeName)
                .containsExactly("drive-vda", "drive-vdb", "drive-vdc");
        assertThat(plan.destinationDisks()).containsExactly(
                new DiskDefinition("vda", "/srv/b/images/web1-vda.qcow2", "qcow2", false), VDB, VDC);
    }

    @Test
    void nothingToCopyIsRefused() {
        assertThatThrownBy(() -> plan(List.of(), CopyStorage.ALL, Set.of()))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("migrateDisks"))
                .hasMessage("migrateDisks: nothing to copy: domain 'web1' has no writable disk selected");
    }

    @Test
    void anIncrementalCopyIsAnOverlayOnTheBackingFileTheDestinationHas() {
        DiskPlan plan = plan(List.of("vda", "vdc"), CopyStorage.INC, Set.of(Path.of("/img/base.qcow2")));

        assertThat(plan.toCopy()).extracting(PlannedDisk::target, PlannedDisk::backingFile, PlannedDisk::backingFormat)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("vda", "/img/base.qcow2", "qcow2"),
                        org.assertj.core.groups.Tuple.tuple("vdc", null, null));
        // a whole copy needs no backing file, wherever it is
        assertThat(plan(List.of("vda"), CopyStorage.ALL, Set.of()).toCopy().get(0).backingFile()).isNull();
    }

    @Test
    void anIncrementalCopyWhoseBackingFileIsMissingOnTheDestinationIsRefused() {
        assertThatThrownBy(() -> plan(List.of("vda"), CopyStorage.INC, Set.of()))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("copyStorage"))
                .hasMessage("copyStorage: 'inc' copies only the top layer of vda, but its backing file "
                        + "/img/base.qcow2 is not present on host-b");
    }
}
