package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.host.Host;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.TestNetwork;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A copy is as thin as its source: a 1 GiB qcow2 disk and a 1 GiB raw disk, each with 64 MiB
 * written, migrate over NBD to images that take about as much room as the source's, and zeroes the
 * guest wrote as data (before the migration and while the mirrors run) take none on the destination.
 * Room is what the file system has allocated to the image file (qemu-img's actual-size); a zero
 * region is one that {@code qemu-img map} reports as holding no data. Run on this machine's hosts
 * by {@link SparseCopyTest} (with the legacy path), over SSH by {@link SshSparseCopyTest}.
 */
abstract class SparseCopyCases extends MigrationTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long GiB = 1024 * MiB;
    /** Each of the four regions of data (distinct patterns) spread over a disk: 64 MiB in all. */
    private static final long DATA_LENGTH = 16 * MiB;
    private static final long ZEROED_LENGTH = 2 * MiB;

    @Test
    void qcow2AndRawCopiesAreAsThinAsTheirSourceAndGuestZeroesTakeNoRoom() throws Exception {
        String name = "sparse";
        Map<Path, String> disks = startDomainWrittenWithZeroes(name, GiB);
        String id = migrate(name, Map.of("destinationHost", "host-b", "approveSwitchover", true));
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
        try (QmpClient qmp = tools(name)) {
            // the mirrors are in sync and running: these zeroes travel as the mirrors' copy of dirty data
            for (String device : List.of("virtio-disk0", "virtio-disk1")) {
                guestWrite(qmp, device, "write -P 0 " + zeroedDuring(GiB) + " " + ZEROED_LENGTH);
            }
        }
        approve(id);
        assertMigratedThin(name, id, disks, GiB, List.of(zeroedBefore(GiB), zeroedDuring(GiB)));
    }

    /**
     * Starts a domain on host-a with a qcow2 vda and a raw vdb of that size (see {@link #disk}) into
     * both of which the guest has written zeroes as data at {@link #zeroedBefore}; returns the disks
     * (path on host-a → format).
     */
    protected Map<Path, String> startDomainWrittenWithZeroes(String name, long size) throws Exception {
        Path vda = disk(name, "vda", "qcow2", size);
        Path vdb = disk(name, "vdb", "raw", size);
        ResponseEntity<String> defined = api().exchange("/api/domains/" + name, HttpMethod.PUT, new HttpEntity<>(
                Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks", List.of(
                        Map.of("target", "vda", "file", vda.toString(), "format", "qcow2"),
                        Map.of("target", "vdb", "file", vdb.toString(), "format", "raw")))), String.class);
        assertThat(defined.getStatusCode().is2xxSuccessful()).as(defined.getBody()).isTrue();
        api().postForEntity("/api/domains/" + name + "/start", null, String.class);
        try (QmpClient qmp = tools(name)) {
            for (String device : List.of("virtio-disk0", "virtio-disk1")) {
                guestWrite(qmp, device, "write -P 0 " + zeroedBefore(size) + " " + ZEROED_LENGTH);
            }
        }
        Map<Path, String> disks = new LinkedHashMap<>();
        disks.put(vda, "qcow2");
        disks.put(vdb, "raw");
        return disks;
    }

    /**
     * The migration succeeds; then each copy on host-b has the source's content, takes as much room
     * as the source within max(10 %, 8 MiB), and holds no data where the guest wrote zeroes.
     */
    protected void assertMigratedThin(String name, String id, Map<Path, String> disks, long size, List<Long> zeroed)
            throws Exception {
        awaitEnd(id, Duration.ofSeconds(120));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        stop(name);

        SoftAssertions softly = new SoftAssertions(); // every figure of both disks, not just the first miss
        for (Map.Entry<Path, String> d : disks.entrySet()) {
            Path source = d.getKey();
            Path copy = hostB().storageDir().resolve(source.getFileName());
            String format = d.getValue();
            // on host-a, where the source lies; the copy reached from there as this test sees it
            TestNetwork.Sh.Result compare = runOn(hostA(), "qemu-img", "compare", "-U", source.toString(),
                    seen(hostB(), copy).toString());
            assertThat(compare.exit()).as("%s: identical content: %s%s", format, compare.out(), compare.err())
                    .isZero();
            long sourceSize = actualSize(hostA(), source);
            long copySize = actualSize(hostB(), copy);
            System.out.printf("sparse copy %s %s %s: source %d KiB, copy %d KiB allocated%n",
                    hostB().isRemote() ? "ssh" : "local", vars.get(Vars.STORAGE_TRANSPORT), format,
                    sourceSize / 1024, copySize / 1024);
            softly.assertThat(Math.abs(copySize - sourceSize))
                    .as("%s: allocation of the copy (%d) against the source's (%d)", format, copySize, sourceSize)
                    .isLessThanOrEqualTo(Math.max(sourceSize / 10, 8 * MiB));
            for (long offset : zeroed) {
                softly.assertThat(dataIn(hostB(), copy, format, offset, ZEROED_LENGTH))
                        .as("%s: bytes allocated as data on the copy where the guest wrote zeroes at %d", format, offset)
                        .isZero();
            }
            softly.assertThat(dataIn(hostB(), copy, format, dataOffset(size, 2), DATA_LENGTH)).as("%s: data copied", format)
                    .isEqualTo(DATA_LENGTH);
        }
        softly.assertAll();
    }

    /** Where the k-th of the four regions of data (0..3) begins on a disk of that size: one in each quarter. */
    private static long dataOffset(long size, int k) {
        return k * size / 4 + size / 64;
    }

    /** Zeroes the guest writes before the migration, where the disk held nothing. */
    protected static long zeroedBefore(long size) {
        return size * 7 / 8;
    }

    /** Zeroes the guest writes over data while the mirrors run: inside the second region of data. */
    private static long zeroedDuring(long size) {
        return dataOffset(size, 1) + 4 * MiB;
    }

    /** An image of that format and size on host-a with 64 MiB of data in four regions; its path on host-a. */
    private Path disk(String name, String target, String format, long size) {
        Path file = hostA().storageDir().resolve(name + "-" + target + "." + format);
        Path seen = TestImages.create(seen(hostA(), file.getParent()), file.getFileName().toString(), format, size);
        for (int k = 0; k < 4; k++) {
            TestImages.write(seen, format, 0x31 + k, dataOffset(size, k), DATA_LENGTH);
        }
        return file;
    }

    /** Bytes the file system has allocated to the image file (qemu-img info's actual-size). */
    private long actualSize(Host host, Path file) throws Exception {
        TestNetwork.Sh.Result r = runOn(host, "qemu-img", "info", "-U", "--output=json", file.toString());
        assertThat(r.exit()).as("qemu-img info %s: %s", file, r.err()).isZero();
        return JSON.readTree(r.out()).path("actual-size").asLong();
    }

    /** How many bytes of [offset, offset+length) qemu-img map reports as data (not zero, not a hole). */
    private long dataIn(Host host, Path file, String format, long offset, long length) throws Exception {
        TestNetwork.Sh.Result r = runOn(host, "qemu-img", "map", "-U", "--output=json", "-f", format, file.toString());
        assertThat(r.exit()).as("qemu-img map %s: %s", file, r.err()).isZero();
        long data = 0;
        for (JsonNode extent : JSON.readTree(r.out())) {
            long start = Math.max(offset, extent.path("start").asLong());
            long end = Math.min(offset + length, extent.path("start").asLong() + extent.path("length").asLong());
            if (end > start && extent.path("data").asBoolean()) {
                data += end - start;
            }
        }
        return data;
    }
}
