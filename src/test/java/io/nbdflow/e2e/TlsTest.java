package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.migration.StorageTransport;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.PacketCapture;
import io.nbdflow.testsupport.SerialGuest;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.TlsTestContext;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.ContextConfiguration;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NBD and migration over TLS on this machine's hosts ({@link TlsTestContext}), proven from a
 * packet capture on the loopback interface: a guest whose boot sector (in its RAM once booted)
 * holds one marker text and whose disk holds another shows both in clear text when migrated to a
 * host without TLS (the RAM marker in the migration's packets, the disk marker in the NBD
 * packets), and neither anywhere when migrated between two hosts with TLS, whether the disks go
 * over NBD or in the migration stream. A destination whose certificate the source does not trust
 * makes the migration roll back with the TLS error; requireTls refuses a host without TLS.
 */
@ContextConfiguration(initializers = TlsTestContext.class, inheritInitializers = false)
class TlsTest extends MigrationTestBase {
    static final String RAM_MARKER = "nbdflow-ram-marker-5e1d0c";
    static final String DISK_MARKER = "nbdflow-disk-marker-a7c3f9";
    private static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(120);

    /**
     * Defines and starts, on host-a, a 32 MiB guest booting from a 4 MiB raw disk whose boot sector
     * holds the RAM marker and whose second MiB holds the disk marker; returns once the guest runs
     * its boot sector (its console prints). Returns the disk's path on host-a.
     */
    Path startMarkerGuest(String name) throws Exception {
        Path disk = hostA().storageDir().resolve(name + "-boot.raw");
        SerialGuest.createDisk(seen(hostA(), disk), 4 * MiB, RAM_MARKER.getBytes(StandardCharsets.US_ASCII),
                MiB, DISK_MARKER.getBytes(StandardCharsets.US_ASCII), (int) MiB);
        ResponseEntity<String> defined = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 32, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", disk.toString(), "format", "raw")))),
                String.class);
        assertThat(defined.getStatusCode().is2xxSuccessful()).as(defined.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class)
                .getStatusCode().is2xxSuccessful()).isTrue();
        Path console = seen(hostA(), hostA().domainDir(name).resolve("console.log"));
        Wait.until("the guest runs its boot sector", Duration.ofSeconds(60),
                () -> Files.exists(console) && SerialGuest.highest(Files.readString(console)) >= 0);
        return disk;
    }

    /** Migrates the domain with that request while capturing the destination's ports on lo; returns the variables. */
    Map<String, Object> migrateCaptured(String name, Map<String, Object> request, Path file,
                                        PacketCapture[] capture) throws Exception {
        Host destination = hosts.get(request.get("destinationHost").toString());
        capture[0] = PacketCapture.start("lo", "host " + destination.address().getHostAddress()
                + " and tcp portrange 49152-49215", file);
        String id;
        try {
            id = migrate(name, request);
            awaitEnd(id, MIGRATION_TIMEOUT);
        } finally {
            capture[0].close();
        }
        return variables(id);
    }

    /** The domain's disk file on the host it now runs on, as this test sees it. */
    Path currentDisk(String name) {
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        return seen(hosts.get(domain.path("host").asText()), Path.of(domain.path("disks").get(0).path("file").asText()));
    }

    @Test
    void withoutTlsTheGuestsRamAndDiskCrossTheNetworkInClearText() throws Exception {
        String name = "tlsoff";
        Path disk = startMarkerGuest(name);
        PacketCapture[] capture = new PacketCapture[1];
        try {
            Map<String, Object> vars = migrateCaptured(name, Map.of("destinationHost", "host-c"),
                    testRoot().resolve("capture/" + name + ".pcap"), capture);
            assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            assertThat(vars.get(Vars.ENCRYPTED)).isEqualTo(false);
            int nbdPort = ((Number) vars.get(Vars.NBD_PORT)).intValue();
            int migrationPort = ((Number) vars.get(Vars.MIGRATION_PORT)).intValue();
            assertThat(TestImages.compare(seen(hostA(), disk), currentDisk(name))).as("copy identical").isTrue();
            byte[] migration = capture[0].port(migrationPort);
            byte[] nbd = capture[0].port(nbdPort);
            String seen = "capture of " + migration.length + " bytes on port " + migrationPort + ", " + nbd.length
                    + " on port " + nbdPort + "; tcpdump: " + capture[0].log();
            assertThat(PacketCapture.count(migration, RAM_MARKER)).as("RAM marker in the migration's packets; "
                    + seen).isPositive();
            assertThat(PacketCapture.count(nbd, DISK_MARKER)).as("disk marker in the NBD packets; " + seen)
                    .isPositive();
        } finally {
            stop(name);
        }
    }

    @Test
    void betweenHostsWithTlsNothingOfTheGuestIsVisibleAndRequireTlsFalseDoesNotTurnItOff() throws Exception {
        String name = "tlson";
        Path disk = startMarkerGuest(name);
        PacketCapture[] capture = new PacketCapture[1];
        try {
            Map<String, Object> request = new HashMap<>(Map.of("destinationHost", "host-b", Vars.REQUIRE_TLS, false));
            Map<String, Object> vars = migrateCaptured(name, request, testRoot().resolve("capture/" + name + ".pcap"),
                    capture);
            assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            assertThat(vars.get(Vars.ENCRYPTED)).isEqualTo(true);
            assertEncryptedCapture(capture[0], vars, true);
            assertThat(TestImages.compare(seen(hostA(), disk), currentDisk(name))).as("copy identical").isTrue();
            assertThat(seen(hostB(), hostB().domainDir(name).resolve("tls-server"))).as("credentials folder")
                    .doesNotExist();

            // onwards to a host without TLS: the QEMU that was a TLS destination migrates in clear text
            String next = migrate(name, Map.of("destinationHost", "host-c"));
            awaitEnd(next, MIGRATION_TIMEOUT);
            Map<String, Object> onwards = variables(next);
            assertThat(onwards.get(Vars.OUTCOME)).as("failureReason: %s", onwards.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            assertThat(onwards.get(Vars.ENCRYPTED)).isEqualTo(false);
        } finally {
            stop(name);
        }
    }

    @Test
    void theBlockMigrationIsEncryptedToo() throws Exception {
        String name = "tlsblk";
        Path disk = startMarkerGuest(name);
        PacketCapture[] capture = new PacketCapture[1];
        try {
            Map<String, Object> vars = migrateCaptured(name, Map.of("destinationHost", "host-b", "tunnelled", true),
                    testRoot().resolve("capture/" + name + ".pcap"), capture);
            assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.LEGACY.value());
            assertThat(vars.get(Vars.ENCRYPTED)).isEqualTo(true);
            assertEncryptedCapture(capture[0], vars, false);
            assertThat(TestImages.compare(seen(hostA(), disk), currentDisk(name))).as("copy identical").isTrue();
        } finally {
            stop(name);
        }
    }

    /** Packets went (the disk's written MiBs at least), and no marker is in any of them. */
    private static void assertEncryptedCapture(PacketCapture capture, Map<String, Object> vars, boolean nbd) {
        byte[] all = capture.all();
        assertThat(PacketCapture.count(all, RAM_MARKER)).as("RAM marker anywhere").isZero();
        assertThat(PacketCapture.count(all, DISK_MARKER)).as("disk marker anywhere").isZero();
        // the capture did see the copy: at least the disk's marker MiB went through it
        int migrationPort = ((Number) vars.get(Vars.MIGRATION_PORT)).intValue();
        if (nbd) {
            int nbdPort = ((Number) vars.get(Vars.NBD_PORT)).intValue();
            assertThat((long) capture.port(nbdPort).length).as("NBD bytes captured; tcpdump: " + capture.log())
                    .isGreaterThan(MiB);
            assertThat((long) capture.port(migrationPort).length).as("migration bytes captured")
                    .isGreaterThan(MiB / 4);
        } else {
            assertThat((long) capture.port(migrationPort).length).as("migration bytes captured; tcpdump: "
                    + capture.log()).isGreaterThan(MiB);
        }
    }

    @Test
    void aDestinationWhoseCertificateTheSourceDoesNotTrustRollsBackAndRequireTlsRefusesAHostWithout()
            throws Exception {
        String name = "tlsbad";
        startMarkerGuest(name);
        try {
            String refused = migrate(name, Map.of("destinationHost", "host-c", Vars.REQUIRE_TLS, true));
            awaitEnd(refused, MIGRATION_TIMEOUT);
            Map<String, Object> r = variables(refused);
            assertThat(r.get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);
            assertThat(r.get(Vars.FAILURE_REASON).toString()).contains("requireTls").contains("'host-c'");
            assertThat(seen(hostC(), hostC().domainDir(name))).as("nothing on host-c").doesNotExist();

            String id = migrate(name, Map.of("destinationHost", "host-d"));
            awaitEnd(id, MIGRATION_TIMEOUT);
            Map<String, Object> vars = variables(id);
            assertThat(vars.get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_ROLLED_BACK);
            assertThat(vars.get(Vars.ENCRYPTED)).isEqualTo(true);
            assertThat(vars.get(Vars.FAILURE_REASON).toString()).contains("TLS")
                    .containsIgnoringCase("certificate hasn't got a known issuer");
            // invariants: the guest runs on host-a, host-d holds nothing of it, no port kept
            JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
            assertThat(domain.path("host").asText()).isEqualTo("host-a");
            assertThat(domain.path("state").asText()).isEqualTo("running");
            Host d = hosts.get("host-d");
            assertThat(seen(d, d.domainDir(name))).as("destination folder").doesNotExist();
            assertThat(Files.list(seen(d, d.storageDir())).toList()).as("host-d storage").isEmpty();
            assertNoPortReserved(id);
        } finally {
            stop(name);
        }
    }
}
