package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbdflow.migration.MigrationCookie.Nbd;
import io.nbdflow.migration.MigrationCookie.NbdDisk;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskPlanTest {

    private static final DiskPlan PLAN = new DiskPlan(List.of(
            new PlannedDisk("vda", "qcow2", false, 1 << 30, "/a/web1-vda.qcow2", "/b/web1-vda.qcow2", true, null, null),
            new PlannedDisk("vdb", "raw", true, 1 << 20, "/a/base.iso", "/a/base.iso", false, null, null),
            new PlannedDisk("vdc", "raw", false, 1 << 24, "/a/web1-vdc.raw", "/b/web1-vdc.raw", true, null, null)));

    private static MigrationCookie cookie(NbdDisk... disks) {
        return new MigrationCookie("web1", null, "host-a", new Nbd(null, List.of(disks)));
    }

    @Test
    void theSourceAnnouncesTheDisksToCopyWithTheirSizes() {
        assertThat(PLAN.announced()).containsExactly(new NbdDisk("vda", 1 << 30), new NbdDisk("vdc", 1 << 24));
        PLAN.requireAnnouncedBy(cookie(new NbdDisk("vdc", 1 << 24), new NbdDisk("vda", 1 << 30)), "cookieBegin");
        // a source without NBD announces nothing: the legacy path has nothing to check
        PLAN.requireAnnouncedBy(new MigrationCookie("web1", null, "host-a", null), "cookieBegin");
    }

    @Test
    void aCookieThatDisagreesWithThePlanIsRefused() {
        assertThatThrownBy(() -> PLAN.requireAnnouncedBy(cookie(new NbdDisk("vda", 1 << 30)), "cookieBegin"))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("cookieBegin"))
                .hasMessage("cookieBegin: the source's cookie does not list disk vdc");
        assertThatThrownBy(() -> PLAN.requireAnnouncedBy(
                cookie(new NbdDisk("vda", 1 << 30), new NbdDisk("vdc", 1 << 20)), "cookieBegin"))
                .hasMessage("cookieBegin: the source's cookie gives disk vdc 1048576 bytes, the plan 16777216");
        assertThatThrownBy(() -> PLAN.requireAnnouncedBy(cookie(new NbdDisk("vda", 1 << 30),
                new NbdDisk("vdb", 1 << 20), new NbdDisk("vdc", 1 << 24)), "cookieBegin"))
                .hasMessage("cookieBegin: the source's cookie lists disk(s) [vdb] that the plan does not copy");
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
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("domain"));
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "a/b", "vda", "qcow2"))
                .isInstanceOf(MigrationRefusedException.class);
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "..", "vda", "qcow2"))
                .isInstanceOf(MigrationRefusedException.class);
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "web1", "../../x", "qcow2"))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("target"));
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "web1", "vda", "vmdk"))
                .isInstanceOfSatisfying(MigrationRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("format"))
                .hasMessage("format: expected 'qcow2' or 'raw', got 'vmdk'");
        assertThatThrownBy(() -> DiskPlan.destinationFile(dir, "web1", "vda", "qcow2/../../x"))
                .isInstanceOf(MigrationRefusedException.class);
    }
}
