package io.nbdflow.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.testsupport.SpringQemuTest;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.User;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;

/** /actuator/health on the real server: open, with the components for a logged-in user. */
class HealthEndpointTest extends SpringQemuTest {

    @Autowired
    IdentityService identityService;

    @Test
    void anonymousProbesSeeTheStatusOnly() {
        ResponseEntity<JsonNode> r = anonymous().getForEntity("/actuator/health", JsonNode.class);
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(r.getBody().path("status").asText()).isEqualTo("UP");
        assertThat(r.getBody().has("components")).as(r.getBody().toString()).isFalse();
    }

    @Test
    void aLoggedInUserSeesQemuTheEngineAndTheDatabase() {
        ResponseEntity<JsonNode> r = api().getForEntity("/actuator/health", JsonNode.class);
        assertThat(r.getStatusCode()).as(String.valueOf(r.getBody())).isEqualTo(HttpStatus.OK);
        JsonNode components = r.getBody().path("components");
        for (String name : new String[] {"qemu", "processEngine", "jobExecutor", "db"}) {
            assertThat(components.path(name).path("status").asText()).as(name + " in " + components).isEqualTo("UP");
        }
        JsonNode qemu = components.path("qemu").path("details");
        assertThat(qemu.path("qemu-binary").asText()).endsWith("/qemu-system-x86_64");
        assertThat(qemu.path("qemu-img-binary").asText()).endsWith("/qemu-img");
        assertThat(qemu.path("qemu-io-binary").asText()).endsWith("/qemu-io");
        assertThat(components.path("processEngine").path("details").path("name").asText())
                .isEqualTo(processEngine.getName());

        // one component alone
        ResponseEntity<JsonNode> one = api().getForEntity("/actuator/health/qemu", JsonNode.class);
        assertThat(one.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(one.getBody().path("details").path("qemu-img-binary").asText()).endsWith("/qemu-img");
    }

    @Test
    void wrongCredentialsAreRefusedNotIgnored() {
        // a wrong password locks that user for a while (login throttling): a user of our own
        String id = "h" + System.nanoTime();
        User user = identityService.newUser(id);
        user.setPassword("secret");
        identityService.saveUser(user);
        ResponseEntity<String> r = restTemplate.withBasicAuth(id, "wrong").getForEntity("/actuator/health", String.class);
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
    }
}
