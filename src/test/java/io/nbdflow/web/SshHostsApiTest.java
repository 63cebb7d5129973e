package io.nbdflow.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.SshTestContext;
import io.nbdflow.testsupport.TestHost;
import io.nbdflow.testsupport.TestNetwork;
import org.junit.jupiter.api.Test;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.ContextConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GET /api/hosts for hosts that are other machines: each is reached over SSH and reports its QEMU,
 * accelerator, free space and the fingerprint of the host key nbdflow verified; a host whose sshd
 * is down is reported unreachable, naming it, while the others are still reported.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshHostsApiTest extends SpringQemuTest {

    @Test
    void everyHostIsCheckedOverSshWithItsVerifiedHostKey() {
        ResponseEntity<JsonNode> r = api().getForEntity("/api/hosts", JsonNode.class);
        assertThat(r.getStatusCode().value()).isEqualTo(200);
        assertThat(r.getBody()).hasSize(3);
        for (JsonNode h : r.getBody()) {
            TestHost host = TestNetwork.shared().hosts().stream()
                    .filter(t -> t.address().getHostAddress().equals(h.path("address").asText())).findFirst()
                    .orElseThrow();
            assertThat(h.path("remote").asBoolean()).as(h.toString()).isTrue();
            assertThat(h.path("reachable").asBoolean()).as(h.toString()).isTrue();
            assertThat(h.path("qemuVersion").asText()).startsWith("7.2.");
            assertThat(h.path("defaultMachineType").asText()).startsWith("pc-i440fx-");
            assertThat(h.path("acceleratorEffective").asText()).isIn("kvm", "tcg");
            assertThat(h.path("hostKeyFingerprint").asText()).isEqualTo(host.hostKeyFingerprint());
            // the host's data folder is a tmpfs of 3 GiB, nearly empty
            assertThat(h.path("storageFreeBytes").asLong()).isBetween(2L << 30, 3L << 30);
        }
    }

    @Test
    void aHostWhoseSshdIsDownIsReportedUnreachable() throws Exception {
        TestHost c = TestNetwork.shared().host("c");
        c.stopSshd();
        try {
            ResponseEntity<JsonNode> r = api().getForEntity("/api/hosts", JsonNode.class);
            assertThat(r.getStatusCode().value()).isEqualTo(200);
            JsonNode hostC = r.getBody().get(2);
            assertThat(hostC.path("name").asText()).isEqualTo("host-c");
            assertThat(hostC.path("reachable").asBoolean()).as(hostC.toString()).isFalse();
            assertThat(hostC.path("error").asText()).contains("host-c");
            assertThat(r.getBody().get(0).path("reachable").asBoolean()).isTrue();
            assertThat(r.getBody().get(1).path("reachable").asBoolean()).isTrue();
        } finally {
            c.startSshd();
        }
        ResponseEntity<JsonNode> again = api().getForEntity("/api/hosts", JsonNode.class);
        assertThat(again.getBody().get(2).path("reachable").asBoolean()).as("reconnected").isTrue();
    }
}
