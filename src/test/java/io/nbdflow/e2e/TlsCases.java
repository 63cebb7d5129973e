package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.migration.StorageTransport;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.PacketCapture;
import io.nbdflow.testsupport.SerialGuest;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NBD and migration over TLS, proven from a packet capture of what went between the hosts: a
 * guest whose boot sector (in its RAM once booted) holds one marker text and whose disk holds
 * another shows both in clear text when migrated to a host without TLS (the RAM marker in the
 * migration's packets, the disk marker in the NBD packets), and neither anywhere when migrated
 * between two hosts with TLS, whether the disks go over NBD or in the migration stream. A
 * destination whose certificate the source does not trust makes the migration roll back with
 * the TLS error. The hosts: host-a and host-b with TLS credentials of one CA, an untrusted host
 * with those of a foreign CA, and for the clear-text cases a host without TLS (see the contexts).
 */
abstract class TlsCases extends MigrationTestBase {
    static final String RAM_MARKER = "nbdflow-ram-marker-5e1d0c";
    static final String DISK_MARKER = "nbdflow-disk-marker-a7c3f9";
    static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(120);

    /** The interface on which this machine sees the traffic between the hosts. */
    abstract String captureInterface();

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

    /** A finished migration's variables and what was captured meanwhile between its hosts. */
    record Captured(String id, Map<String, Object> vars, PacketCapture capture) {
        int port(String variable) {
            return ((Number) vars.get(variable)).intValue();
        }
    }

    /**
     * Migrates the domain with that request while capturing the traffic to and from the
     * destination's address in the migration port range (the capture stopped whatever happens).
     * Only the destination's address: on loopback the kernel gives a connection to 127.0.0.x the
     * source address 127.0.0.1, whichever host's QEMU opens it.
     */
    Captured migrateCaptured(String name, Map<String, Object> request) throws Exception {
        Host to = hosts.get(request.get("destinationHost").toString());
        PacketCapture capture = PacketCapture.start(captureInterface(), "host " + to.address().getHostAddress()
                        + " and tcp portrange 49152-49215",
                testRoot().resolve("capture/" + name + "-" + System.nanoTime() + ".pcap"));
        String id;
        try {
            id = migrate(name, request);
            awaitEnd(id, MIGRATION_TIMEOUT);
        } finally {
            capture.close();
        }
        return new Captured(id, variables(id), capture);
    }

    /** The domain's disk file on the host it now runs on, as this test sees it. */
    Path currentDisk(String name) {
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        return seen(hosts.get(domain.path("host").asText()), Path.of(domain.path("disks").get(0).path("file").asText()));
    }

    static void assertMigrated(Map<String, Object> vars, boolean encrypted) {
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.ENCRYPTED)).as(Vars.ENCRYPTED).isEqualTo(encrypted);
    }

    /** To a host without TLS: both markers cross in clear text, each in its own stream. */
    void clearTextCase(String destination) throws Exception {
        String name = "tlsoff";
        Path disk = startMarkerGuest(name);
        try {
            // host-a has TLS: clear text only when asked for
            Captured c = migrateCaptured(name, Map.of("destinationHost", destination, Vars.REQUIRE_TLS, false));
            assertMigrated(c.vars(), false);
            assertThat(TestImages.compare(seen(hostA(), disk), currentDisk(name))).as("copy identical").isTrue();
            byte[] migration = c.capture().port(c.port(Vars.MIGRATION_PORT));
            byte[] nbd = c.capture().port(c.port(Vars.NBD_PORT));
            String seen = "captured " + migration.length + " bytes of migration, " + nbd.length + " of NBD; tcpdump: "
                    + c.capture().log();
            assertThat(PacketCapture.count(migration, RAM_MARKER)).as("RAM marker in the migration's packets; "
                    + seen).isPositive();
            assertThat(PacketCapture.count(nbd, DISK_MARKER)).as("disk marker in the NBD packets; " + seen)
                    .isPositive();
        } finally {
            stop(name);
        }
    }

    /**
     * Between hosts with TLS: to {@code blockDestination} (unless null) with QEMU's block
     * migration, then on to {@code nbdDestination} over NBD (requireTls=false, which cannot turn
     * encryption off): no marker in any packet either way.
     */
    void encryptedCase(String blockDestination, String nbdDestination) throws Exception {
        String name = "tlson";
        Path disk = startMarkerGuest(name);
        try {
            if (blockDestination != null) {
                Captured there = migrateCaptured(name, Map.of("destinationHost", blockDestination, "tunnelled", true));
                assertMigrated(there.vars(), true);
                assertThat(there.vars().get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.LEGACY.value());
                assertNoMarker(there);
                assertThat((long) there.capture().port(there.port(Vars.MIGRATION_PORT)).length)
                        .as("migration bytes captured; tcpdump: " + there.capture().log()).isGreaterThan(MiB);
                assertThat(TestImages.compare(seen(hostA(), disk), currentDisk(name))).as("copy identical").isTrue();
            }
            String destination = nbdDestination;
            Path before = currentDisk(name);
            Captured nbd = migrateCaptured(name, new HashMap<>(Map.of("destinationHost", destination,
                    Vars.REQUIRE_TLS, false)));
            assertMigrated(nbd.vars(), true);
            assertThat(api().getForObject("/api/migrations/" + nbd.id(), JsonNode.class).path("encrypted").asBoolean())
                    .as("encrypted in GET /api/migrations/{id}").isTrue();
            assertThat(nbd.vars().get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.NBD.value());
            assertNoMarker(nbd);
            assertThat((long) nbd.capture().port(nbd.port(Vars.NBD_PORT)).length)
                    .as("NBD bytes captured; tcpdump: " + nbd.capture().log()).isGreaterThan(MiB);
            assertThat((long) nbd.capture().port(nbd.port(Vars.MIGRATION_PORT)).length)
                    .as("migration bytes captured").isGreaterThan(MiB / 4);
            assertThat(TestImages.compare(before, currentDisk(name))).as("copy identical").isTrue();
            Host now = hosts.get(destination);
            assertThat(seen(now, now.domainDir(name).resolve("tls-server"))).as("credentials folder").doesNotExist();
        } finally {
            stop(name);
        }
    }

    private static void assertNoMarker(Captured c) {
        byte[] all = c.capture().all();
        assertThat(PacketCapture.count(all, RAM_MARKER)).as("RAM marker anywhere").isZero();
        assertThat(PacketCapture.count(all, DISK_MARKER)).as("disk marker anywhere").isZero();
    }

    /**
     * To a host whose certificate host-a's CA did not sign: the migration rolls back with QEMU's
     * TLS error, the guest runs on host-a, the untrusted host holds nothing of it. Then, if a host
     * without TLS is given, the same guest migrates there in clear text (its QEMU was set up for
     * TLS by the failed attempt: nothing of that may stay).
     */
    void untrustedCase(String untrusted, boolean tunnelled, String withoutTls) throws Exception {
        String name = "tlsbad";
        startMarkerGuest(name);
        try {
            String id = migrate(name, Map.of("destinationHost", untrusted, "tunnelled", tunnelled));
            awaitEnd(id, MIGRATION_TIMEOUT);
            Map<String, Object> vars = variables(id);
            assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_ROLLED_BACK);
            assertThat(vars.get(Vars.ENCRYPTED)).isEqualTo(true);
            assertThat(vars.get(Vars.FAILURE_REASON).toString()).containsIgnoringCase("certificate");
            JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
            assertThat(domain.path("host").asText()).isEqualTo("host-a");
            assertThat(domain.path("state").asText()).isEqualTo("running");
            Host bad = hosts.get(untrusted);
            assertThat(seen(bad, bad.domainDir(name))).as("destination folder").doesNotExist();
            try (var files = Files.list(seen(bad, bad.storageDir()))) {
                assertThat(files.toList()).as(untrusted + " storage").isEmpty();
            }
            assertNoPortReserved(id);

            if (withoutTls != null) {
                String again = migrate(name, Map.of("destinationHost", withoutTls, Vars.REQUIRE_TLS, false));
                awaitEnd(again, MIGRATION_TIMEOUT);
                assertMigrated(variables(again), false);
            }
        } finally {
            stop(name);
        }
    }
}
