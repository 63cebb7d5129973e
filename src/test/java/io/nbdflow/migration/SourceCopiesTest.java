package io.nbdflow.migration;

import io.nbdflow.host.DiskDefinition;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SourceCopiesTest {
    private static final List<Path> STORAGE = List.of(Path.of("/srv/a/images"));

    private static DiskDefinition disk(String target, String file) {
        return new DiskDefinition(target, file, "qcow2", false);
    }

    @Test
    void aCopiedDiskInTheStorageFolderIsRemovable() {
        assertThat(SourceCopies.removable(List.of(disk("vda", "/srv/a/images/web1-vda.qcow2")), List.of("vda"),
                Set.of("/srv/b/images/web1-vda.qcow2"), STORAGE))
                .containsExactly(Path.of("/srv/a/images/web1-vda.qcow2"));
    }

    @Test
    void aCopiedDiskInAnotherImageFolderIsRemovableOnlyWhenThatFolderIsListed() {
        List<DiskDefinition> disks = List.of(disk("vda", "/srv/vm/web1-vda.qcow2"));
        Set<String> open = Set.of("/srv/b/images/web1-vda.qcow2");

        assertThat(SourceCopies.removable(disks, List.of("vda"), open, STORAGE)).isEmpty();
        assertThat(SourceCopies.removable(disks, List.of("vda"), open,
                List.of(Path.of("/srv/a/images"), Path.of("/srv/vm"))))
                .containsExactly(Path.of("/srv/vm/web1-vda.qcow2"));
    }

    @Test
    void everythingThatMayStillBeSomebodysIsKept() {
        List<DiskDefinition> disks = List.of(
                disk("vda", "/srv/a/images/web1-vda.qcow2"),                // copied: removed
                disk("vdb", "/srv/a/images/web1-vdb.qcow2"),                // not copied (shared)
                new DiskDefinition("vdc", "/srv/a/images/web1-vdc.qcow2", "qcow2", true), // read-only
                disk("vdd", "/srv/a/images/web1-vdd.qcow2"),                // open on the destination
                disk("vde", "/srv/a/images/../../../etc/passwd"),           // leaves the storage folder
                disk("vdf", "/srv/other/web1-vdf.qcow2"),                   // outside the storage folder
                disk("vdg", "relative/web1-vdg.qcow2"),                     // not an absolute path
                disk("vdh", "/srv/a/images"));                              // the storage folder itself
        List<String> copied = List.of("vda", "vdc", "vdd", "vde", "vdf", "vdg", "vdh");

        assertThat(SourceCopies.removable(disks, copied, Set.of("/srv/a/images/web1-vdd.qcow2",
                "/srv/b/images/web1-vda.qcow2"), STORAGE))
                .containsExactly(Path.of("/srv/a/images/web1-vda.qcow2"));
    }

    @Test
    void aBackingFileTheDestinationOpensIsNeverRemovable() {
        // a plan that claims the shared disk was copied: the destination still opens its file
        assertThat(SourceCopies.removable(List.of(disk("vda", "/srv/a/images/./base.qcow2")), List.of("vda"),
                Set.of("/srv/b/images/web1-vda.qcow2", "/srv/a/images/base.qcow2"), STORAGE)).isEmpty();
    }
}
