package io.nbdflow.host;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;

import io.nbdflow.config.PortRange;
import io.nbdflow.testsupport.TestImages;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storage against the real qemu-img. */
class StorageTest {

    @TempDir
    Path dir;

    private Host host;
    private Storage storage;

    @BeforeEach
    void setUp() {
        host = new Host("host-a", InetAddress.getLoopbackAddress(), dir, dir);
        storage = new Storage("qemu-img", new Hosts(List.of(host), new PortRange(49152, 49152)));
    }

    @Test
    void createsAQcow2OfTheRequestedSize() throws Exception {
        Path file = dir.resolve("vda.qcow2");
        storage.createExclusive(host, file, "qcow2", 48 * MiB, null, null);

        ImageInfo info = storage.info(host, file);
        assertThat(info.format()).isEqualTo("qcow2");
        assertThat(info.virtualSize()).isEqualTo(48 * MiB);
        assertThat(info.actualSize()).isPositive().isLessThan(2 * MiB); // metadata only
        assertThat(info.backingFile()).isNull();
    }

    @Test
    void allocationGrowsWithWrittenData() throws Exception {
        Path file = dir.resolve("vdb.qcow2");
        storage.createExclusive(host, file, "qcow2", 32 * MiB, null, null);
        long before = storage.info(host, file).actualSize();
        TestImages.write(file, "qcow2", 0x42, 0, 4 * MiB);

        ImageInfo after = storage.info(host, file);
        assertThat(after.actualSize()).isGreaterThanOrEqualTo(before + 4 * MiB);
        assertThat(after.virtualSize()).isEqualTo(32 * MiB);
        assertThat(TestImages.verify(file, "qcow2", 0x42, 0, 4 * MiB)).isTrue();
    }

    @Test
    void createsRaw() throws Exception {
        Path file = dir.resolve("disk.raw");
        storage.createExclusive(host, file, "raw", 8 * MiB, null, null);
        ImageInfo info = storage.info(host, file);
        assertThat(info.format()).isEqualTo("raw");
        assertThat(info.virtualSize()).isEqualTo(8 * MiB);
        assertThat(Files.size(file)).isEqualTo(8 * MiB);
    }

    @Test
    void refusesAnExistingFileAndLeavesItUntouched() throws Exception {
        Path file = dir.resolve("precious.qcow2");
        byte[] content = new byte[64 * 1024];
        new Random(7).nextBytes(content);
        Files.write(file, content);
        FileTime modified = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(file, modified);

        assertThatThrownBy(() -> storage.createExclusive(host, file, "qcow2", 16 * MiB, null, null))
                .isInstanceOf(FileAlreadyExistsException.class);

        assertThat(Files.readAllBytes(file)).isEqualTo(content);
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(modified);
    }

    @Test
    void recordsTheBackingFile() throws Exception {
        Path base = TestImages.create(dir, "base.qcow2", "qcow2", 16 * MiB);
        TestImages.write(base, "qcow2", 0x11, 0, MiB);
        Path top = dir.resolve("top.qcow2");

        storage.createExclusive(host, top, "qcow2", 16 * MiB, base.toString(), "qcow2");

        ImageInfo info = storage.info(host, top);
        assertThat(info.backingFile()).isEqualTo(base.toString());
        assertThat(info.virtualSize()).isEqualTo(16 * MiB);
        assertThat(TestImages.verify(top, "qcow2", 0x11, 0, MiB)).isTrue(); // read through the backing
    }

    @Test
    void aFailedCreateRemovesOnlyTheFileItCreated() {
        Path file = dir.resolve("bad.img");
        assertThatThrownBy(() -> storage.createExclusive(host, file, "no-such-format", 16 * MiB, null, null))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("no-such-format");
        assertThat(file).doesNotExist();

        Path missingBacking = dir.resolve("overlay.qcow2");
        assertThatThrownBy(() -> storage.createExclusive(host, missingBacking, "qcow2", 16 * MiB,
                dir.resolve("nothing.qcow2").toString(), "qcow2"))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("nothing.qcow2");
        assertThat(missingBacking).doesNotExist();
    }

    @Test
    void infoOfAMissingFileFails() {
        assertThatThrownBy(() -> storage.info(host, dir.resolve("missing.qcow2")))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("missing.qcow2");
    }

    @Test
    void deletes() throws Exception {
        Path file = TestImages.create(dir, "gone.qcow2", "qcow2", MiB);
        assertThat(storage.deleteIfExists(host, file)).isTrue();
        assertThat(storage.deleteIfExists(host, file)).isFalse();
        assertThat(file).doesNotExist();
    }
}
