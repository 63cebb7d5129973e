package io.nbdflow.migration;

import io.nbdflow.host.Host;
import io.nbdflow.host.ImageInfo;
import io.nbdflow.config.PortRange;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.Hosts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The room a migration needs on the destination, and the checks on this machine's folders. */
class DestinationPreflightTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    @Test
    void rawNeedsItsVirtualSizeQcow2WhatMeasureSaysAndAnIncrementalCopyItsTopLayer() {
        DiskPlan plan = new DiskPlan(List.of(
                new PlannedDisk("vda", "raw", false, 100 * MIB, "/a/vda.raw", "/b/vda.raw", true, null, null),
                new PlannedDisk("vdb", "qcow2", false, 1024 * MIB, "/a/vdb.qcow2", "/b/vdb.qcow2", true, null, null),
                new PlannedDisk("vdc", "qcow2", false, 1024 * MIB, "/a/vdc.qcow2", "/b/vdc.qcow2", true,
                        "/base.qcow2", "qcow2"),
                new PlannedDisk("vdd", "raw", true, 500 * MIB, "/a/iso", "/a/iso", false, null, null)));
        Map<String, ImageInfo> images = Map.of(
                "vda", new ImageInfo("raw", 100 * MIB, 0, null, null, null),
                "vdb", new ImageInfo("qcow2", 1024 * MIB, 30 * MIB, null, null, null),
                "vdc", new ImageInfo("qcow2", 1024 * MIB, 7 * MIB, "/base.qcow2", "/base.qcow2", "qcow2"),
                "vdd", new ImageInfo("raw", 500 * MIB, 500 * MIB, null, null, null));

        long needed = DestinationPreflight.bytesNeeded(plan, images,
                d -> d.target().equals("vdb") ? 40 * MIB : -1);

        // raw: virtual size (sparse or not); qcow2: measure; incremental: the top layer's allocation; shared: nothing
        assertThat(needed).isEqualTo(100 * MIB + 40 * MIB + 7 * MIB);
        assertThat(DestinationPreflight.withMargin(100 * MIB)).isEqualTo(100 * MIB + 5 * MIB + 64 * MIB);
    }

    @Test
    void aWritableFolderWithRoomPassesAndKeepsNoProbeFile() throws Exception {
        Host host = new Host("host-b", InetAddress.getLoopbackAddress(), dir.resolve("state"), dir.resolve("images"));
        Files.createDirectories(host.storageDir());
        HostConnection connection = new Hosts(List.of(host), new PortRange(49152, 49152)).connection(host);

        assertThatCode(() -> DestinationPreflight.requireStorage(connection, host.storageDir(), MIB))
                .doesNotThrowAnyException();
        try (var files = Files.list(host.storageDir())) {
            assertThat(files.toList()).as("the probe file is gone").isEmpty();
        }
        assertThatThrownBy(() -> DestinationPreflight.requireStorage(connection, host.storageDir(), Long.MAX_VALUE / 2))
                .isInstanceOf(MigrationRefusedException.class)
                .hasMessageContaining("not enough free space in the storage-dir " + host.storageDir() + " of host 'host-b'")
                .hasMessageContaining("MiB needed").hasMessageContaining("MiB free");
        assertThatThrownBy(() -> DestinationPreflight.requireBinaries(connection, List.of("qemu-img",
                "no-such-qemu-img-anywhere")))
                .hasMessage("destinationHost: host 'host-b' has no program 'no-such-qemu-img-anywhere' "
                        + "(not found on its PATH or as that path)");
    }
}
