package io.nbdflow.e2e;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@link SparseCopyCases} on this machine's hosts, and the legacy path: QEMU's own block migration
 * finds blocks of zeroes, which the destination writes as zeroes that may unmap. Its disks are
 * smaller, because it reads every block of a disk, holes included.
 */
class SparseCopyTest extends SparseCopyCases {

    @Test
    void theLegacyBlockMigrationKeepsCopiesThinToo() throws Exception {
        String name = "sparse2";
        long size = 256 * MiB;
        Map<Path, String> disks = startDomainWrittenWithZeroes(name, size);
        String id = migrate(name, Map.of("destinationHost", "host-b", "tunnelled", true));
        assertMigratedThin(name, id, disks, size, List.of(zeroedBefore(size)));
    }
}
