package io.nbdflow.web;

import io.nbdflow.testsupport.ThisMachine;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestUsers;
import org.camunda.bpm.engine.IdentityService;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.ResponseEntity;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GET /api/hosts: every configured host checked now, for viewers and above; a host that cannot be
 * used is reported with the reason (200), never a server error.
 */
class HostsApiTest extends SpringQemuTest {

    @Autowired
    IdentityService identityService;

    @Test
    void viewersSeeEveryHostsQemuAcceleratorAndFreeSpace() throws Exception {
        String viewer = TestUsers.create(identityService, "nbdflow-viewers");
        ResponseEntity<JsonNode> r = restTemplate.withBasicAuth(viewer, TestUsers.PASSWORD)
                .getForEntity("/api/hosts", JsonNode.class);
        assertThat(r.getStatusCode().value()).isEqualTo(200);
        JsonNode hostsReport = r.getBody();
        assertThat(hostsReport).hasSize(2);
        assertThat(hostsReport.get(0).path("name").asText()).isEqualTo("host-a");
        assertThat(hostsReport.get(1).path("name").asText()).isEqualTo("host-b");
        for (JsonNode h : hostsReport) {
            assertThat(h.path("reachable").asBoolean()).as(h.toString()).isTrue();
            assertThat(h.path("error").isNull()).as(h.toString()).isTrue();
            assertThat(h.path("remote").asBoolean()).isFalse();
            assertThat(h.path("qemuVersion").asText()).startsWith("7.2.");
            assertThat(h.path("acceleratorConfigured").asText()).isEqualTo("auto");
            // KVM where this machine's QEMU gets it
            assertThat(h.path("acceleratorEffective").asText()).isEqualTo(ThisMachine.autoAccelerator());
            assertThat(h.path("defaultMachineType").asText()).isEqualTo("pc-i440fx-7.2");
            assertThat(h.path("machineTypes").asInt()).isGreaterThan(20);
            assertThat(h.path("hostKeyFingerprint").asText()).as("none for this machine").isEmpty();
            Path storage = Path.of(h.path("storageDir").asText());
            long free = Files.getFileStore(storage).getUsableSpace();
            assertThat(h.path("storageFreeBytes").asLong()).isBetween(free - (1L << 30), free + (1L << 30));
        }
        assertThat(hostsReport.get(1).path("address").asText()).isEqualTo(hostB().address().getHostAddress());
    }

    @Test
    void aHostThatCannotBeUsedIsReportedNotAnError() throws Exception {
        Path storage = hostB().storageDir();
        Path away = storage.resolveSibling(storage.getFileName() + ".away");
        Files.move(storage, away);
        try {
            ResponseEntity<JsonNode> r = api().getForEntity("/api/hosts", JsonNode.class);
            assertThat(r.getStatusCode().value()).isEqualTo(200);
            JsonNode b = r.getBody().get(1);
            assertThat(b.path("name").asText()).isEqualTo("host-b");
            assertThat(b.path("reachable").asBoolean()).isFalse();
            assertThat(b.path("error").asText()).contains(storage.toString(), "host-b");
            assertThat(b.path("storageFreeBytes").isNull()).isTrue();
            assertThat(r.getBody().get(0).path("reachable").asBoolean()).as("host-a still reported").isTrue();
        } finally {
            Files.move(away, storage);
        }
    }

    @Test
    void usersWithoutARoleAndAnonymousCallersAreRefused() {
        String nobody = TestUsers.create(identityService);
        assertThat(restTemplate.withBasicAuth(nobody, TestUsers.PASSWORD).getForEntity("/api/hosts", String.class)
                .getStatusCode().value()).isEqualTo(403);
        assertThat(anonymous().getForEntity("/api/hosts", String.class).getStatusCode().value()).isEqualTo(401);
    }
}
