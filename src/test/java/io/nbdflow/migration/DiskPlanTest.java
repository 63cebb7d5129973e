package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskPlanTest {

    private static final SourceDisk VDA = new SourceDisk("vda", "/img/web1-vda.qcow2", "qcow2", false, 1 << 30);
    private static final SourceDisk VDB = new SourceDisk("vdb", "/img/base.iso", "raw", true, 1 << 20);
    private static final SourceDisk VDC = new SourceDisk("vdc", "/img/web1-vdc.raw", "raw", false, 1 << 24);
    private static final List<SourceDisk> DISKS = List.of(VDA, VDB, VDC);

    @Test
    void byDefaultWritableDisksAreCopiedAndReadOnlyOnesShared() {
        for (String none : new String[] {null, "", "  "}) {
            DiskPlan plan = DiskPlan.of("web1", DISKS, none);

            assertThat(plan.toCopy()).containsExactly(VDA, VDC);
            assertThat(plan.shared()).containsExactly(VDB);
        }
    }

    @Test
    void listedDisksAreCopiedInTheDomainsOrder() {
        DiskPlan plan = DiskPlan.of("web1", DISKS, " vdc , vda");

        assertThat(plan.toCopy()).containsExactly(VDA, VDC);
        assertThat(plan.shared()).containsExactly(VDB);
    }

    @Test
    void unlistedWritableDisksAreShared() {
        DiskPlan plan = DiskPlan.of("web1", DISKS, "vdc");

        assertThat(plan.toCopy()).containsExactly(VDC);
        assertThat(plan.shared()).containsExactly(VDA, VDB);
    }

    @Test
    void unknownTargetIsRejected() {
        assertThatThrownBy(() -> DiskPlan.of("web1", List.of(VDA, VDB), "vda,vdz"))
                .isInstanceOfSatisfying(DiskPlanException.class,
                        e -> assertThat(e.field()).isEqualTo("migrateDisks"))
                .hasMessage("migrateDisks: domain 'web1' has no disk 'vdz' (disks: vda, vdb)");
    }

    @Test
    void readOnlyDiskIsRejected() {
        assertThatThrownBy(() -> DiskPlan.of("web1", DISKS, "vda,vdb"))
                .isInstanceOfSatisfying(DiskPlanException.class,
                        e -> assertThat(e.field()).isEqualTo("migrateDisks"))
                .hasMessage("migrateDisks: vdb is read-only; read-only disks are never copied");
    }

    @Test
    void emptyEntriesAndDuplicatesAreRejected() {
        assertThatThrownBy(() -> DiskPlan.of("web1", DISKS, "vda,,vdc"))
                .isInstanceOf(DiskPlanException.class)
                .hasMessage("migrateDisks: empty entry in 'vda,,vdc'");
        assertThatThrownBy(() -> DiskPlan.of("web1", DISKS, "vda,"))
                .hasMessage("migrateDisks: empty entry in 'vda,'");
        assertThatThrownBy(() -> DiskPlan.of("web1", DISKS, "vda, vda"))
                .isInstanceOf(DiskPlanException.class)
                .hasMessage("migrateDisks: vda is listed twice");
    }

    @Test
    void destinationFileIsBuiltFromNamesOnly(@TempDir Path dir) {
        assertThat(DiskPlan.destinationFile(dir, "web1", "vda", "qcow2"))
                .isEqualTo(dir.resolve("web1-vda.qcow2"));
        assertThat(DiskPlan.destinationFile(dir, "db.prod_2", "vdab", "raw"))
                .isEqualTo(dir.resolve("db.prod_2-vdab.raw"));
    }

    @Test
    void destinationFileRejectsTraversalAndOddFormats(@TempDir Path dir) {
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "../etc", "vda", "qcow2"))
                .isInstanceOfSatisfying(DiskPlanException.class, e -> assertThat(e.field()).isEqualTo("domain"));
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "a/b", "vda", "qcow2"))
                .isInstanceOf(DiskPlanException.class);
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "..", "vda", "qcow2"))
                .isInstanceOf(DiskPlanException.class);
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "web1", "../../x", "qcow2"))
                .isInstanceOfSatisfying(DiskPlanException.class, e -> assertThat(e.field()).isEqualTo("target"));
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "web1", "vda", "vmdk"))
                .isInstanceOfSatisfying(DiskPlanException.class, e -> assertThat(e.field()).isEqualTo("format"))
                .hasMessage("format: expected 'qcow2' or 'raw', got 'vmdk'");
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "web1", "vda", "qcow2/../../x"))
                .isInstanceOf(DiskPlanException.class);
    }
}
