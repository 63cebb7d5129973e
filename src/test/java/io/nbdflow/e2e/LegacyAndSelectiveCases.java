package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.ExternalCommand;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.migration.StorageTransport;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two migration modes with a guest writing during the copy: the legacy block migration
 * (tunnelled), and a selection of disks over NBD where the other disk stays on storage both hosts
 * see. Run on this machine's hosts by {@link ModesTest} (with the other modes), over SSH by
 * {@link SshLegacyAndSelectiveTest}.
 */
abstract class LegacyAndSelectiveCases extends MigrationTestBase {
    /** Small guests: nothing here needs a slow RAM migration. */
    static final int MEMORY_MIB = 64;

    @Test
    void tunnelledMigrationTakesTheLegacyBlockMigrationWithAGuestWriteDuringIt() throws Exception {
        String name = "md-tun";
        Path vda = startDomain(name, Map.of("vda", 64 * MiB), 16 * MiB);
        String id = migrate(name, Map.of("destinationHost", "host-b", "tunnelled", true, "bandwidthMiBps", 8));
        boolean writtenDuring;
        try (QmpClient qmp = tools(name)) {
            writtenDuring = awaitMigrationActive(qmp, Duration.ofSeconds(60));
            if (writtenDuring) {
                guestWrite(qmp, "virtio-disk0", "write -P 0x77 32M 1M");
            }
        }
        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.LEGACY.value());
        assertThat((String) vars.get(Vars.COOKIE_BEGIN)).contains("<qemu-migration>").doesNotContain("<nbd");
        assertThat(vars).doesNotContainKey(Vars.NBD_PORT);
        assertThat(writtenDuring).as("the block migration was still running when the guest wrote").isTrue();
        System.out.println("legacy figures: downtimeMs=" + vars.get(Vars.DOWNTIME_MS) + " bytesMirrored="
                + vars.get(Vars.BYTES_MIRRORED) + " totalTimeMs=" + vars.get(Vars.TOTAL_TIME_MS));
        // QEMU's figure is how far its copy got through the disk when last read while it ran (it drops
        // the figure at the end), and blocks of zeroes pass in an instant as flags: some, not all
        assertThat((Long) vars.get(Vars.BYTES_MIRRORED)).as("disk bytes QEMU transferred").isPositive();
        assertThat((Long) vars.get(Vars.DOWNTIME_MS)).isPositive();
        assertThat(Ports.isListening(hostB().address(), ((Number) vars.get(Vars.MIGRATION_PORT)).intValue()))
                .as("incoming migration port closed").isFalse();

        Path copy = seen(hostB(), assertMovedToHostB(name, "vda"));
        stop(name);
        assertThat(TestImages.compare(seen(hostA(), vda), copy)).as("images identical").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x11, 0, 16 * MiB)).as("written before").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x77, 32 * MiB, MiB)).as("guest write during").isTrue();
    }

    @Test
    void selectedDiskIsCopiedAndTheOtherStaysSharedWithAGuestWriteDuringTheMirror() throws Exception {
        String name = "md-sel";
        // vda in host-a's own storage, copied; vdb on storage both hosts see, left where it is
        Map<String, Path> disks = new LinkedHashMap<>();
        Path vda = image(hostA(), hostA().storageDir().resolve(name + "-src-vda.qcow2"), 64 * MiB, 8 * MiB);
        Path vdb = image(hostA(), sharedStorage().resolve(name + "-src-vdb.qcow2"), 32 * MiB, 8 * MiB);
        disks.put("vda", vda);
        disks.put("vdb", vdb);
        defineDomainWithDisks(name, MEMORY_MIB, disks);
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        Set<String> before = destinationStorage();

        String id = migrate(name, Map.of("destinationHost", "host-b", "migrateDisks", "vda", "bandwidthMiBps", 8));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("one mirror, still running").hasSize(1)
                    .allMatch(j -> !j.ready());
            guestWrite(qmp, "virtio-disk1", "write -P 0x78 4M 1M");   // inside the written area
            guestWrite(qmp, "virtio-disk1", "write -P 0x79 20M 1M");  // a new cluster: qcow2 metadata changes
            guestWrite(qmp, "virtio-disk0", "write -P 0x77 40M 1M");
        }
        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.NBD.value());
        assertThat((String) vars.get(Vars.COOKIE_BEGIN)).contains("<disk target='vda'").doesNotContain("target='vdb'");

        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        Path copy = hostB().storageDir().resolve(name + "-vda.qcow2");
        assertThat(domain.path("disks").findValuesAsText("file")).containsExactly(copy.toString(), vdb.toString());
        Set<String> created = destinationStorage();
        created.removeAll(before);
        assertThat(created).as("only vda pre-created on host-b").containsExactly(name + "-vda.qcow2");

        stop(name);
        Path copySeen = seen(hostB(), copy);
        Path vdbSeen = seen(hostB(), vdb);
        assertThat(TestImages.compare(seen(hostA(), vda), copySeen)).as("vda identical").isTrue();
        assertThat(TestImages.verify(copySeen, "qcow2", 0x77, 40 * MiB, MiB)).as("vda write during the mirror")
                .isTrue();
        assertThat(TestImages.verify(vdbSeen, "qcow2", 0x78, 4 * MiB, MiB)).as("vdb write (allocated area)").isTrue();
        assertThat(TestImages.verify(vdbSeen, "qcow2", 0x79, 20 * MiB, MiB)).as("vdb write (new cluster)").isTrue();
        assertThat(TestImages.verify(vdbSeen, "qcow2", 0x11, 0, 4 * MiB)).as("vdb's earlier content").isTrue();
        assertThat(check(vdbSeen)).as("qemu-img check of the shared vdb").isZero();
    }

    // ---- helpers

    protected Path startDomain(String name, Map<String, Long> sizes, long written) {
        return startDomain(name, MEMORY_MIB, sizes, written);
    }

    /** The domain runs on host-b; returns its copy of that disk in host-b's storage (its path there). */
    protected Path assertMovedToHostB(String name, String target) {
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        Path copy = hostB().storageDir().resolve(name + "-" + target + ".qcow2");
        assertThat(domain.path("disks").findValuesAsText("file")).contains(copy.toString());
        assertThat(seen(hostA(), hostA().domainDir(name))).as("source QEMU's folder").doesNotExist();
        return copy;
    }

    /** Waits until the source's migration is active; false if it was over before we saw it running. */
    protected static boolean awaitMigrationActive(QmpClient qmp, Duration timeout) throws Exception {
        String status = Wait.every(Duration.ofMillis(10)).until("block migration started", timeout,
                () -> SourceSide.queryMigrate(qmp).status(), st -> st.equals("active") || st.equals("completed"));
        return status.equals("active");
    }

    /** qemu-img check's exit code: 0 = no errors. */
    protected static int check(Path image) {
        return ExternalCommand.run(List.of("qemu-img", "check", "-q", image.toString()),
                Duration.ofMinutes(1)).exitCode();
    }
}
