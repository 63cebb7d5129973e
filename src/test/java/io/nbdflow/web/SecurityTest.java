package io.nbdflow.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.testsupport.SpringQemuTest;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.User;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** Who may call what, on the real server. */
class SecurityTest extends SpringQemuTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Autowired
    IdentityService identityService;

    @Test
    void domainApiNeedsALogin() throws Exception {
        ResponseEntity<String> r = anonymous().getForEntity("/api/domains", String.class);
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(r.getHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).isEqualTo("Basic realm=\"nbdflow\"");
        JsonNode body = JSON.readTree(r.getBody());
        assertThat(body.get("error").asText()).isEqualTo("unauthorized");
        assertThat(body.get("detail").asText()).isNotBlank();

        assertThat(api().getForEntity("/api/domains", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);

        // a wrong password locks the user for a while (the engine's login throttling): use a user of our own
        String user = otherUser();
        ResponseEntity<String> wrong = restTemplate.withBasicAuth(user, "nope").getForEntity("/api/domains", String.class);
        assertThat(wrong.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
        ResponseEntity<String> stranger = restTemplate.withBasicAuth("nobody", "x").getForEntity("/api/domains", String.class);
        assertThat(stranger.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
    }

    /** A fresh engine user whose password is "secret". */
    private String otherUser() {
        String id = "u" + System.nanoTime();
        User user = identityService.newUser(id);
        user.setPassword("secret");
        identityService.saveUser(user);
        return id;
    }

    @Test
    void engineRestNeedsALogin() {
        for (String path : List.of("/engine-rest/engine", "/engine-rest/process-definition",
                engineRest() + "/process-definition", "/engine-rest/engine/default/user")) {
            ResponseEntity<String> r = anonymous().getForEntity(path, String.class);
            assertThat(r.getStatusCode()).as(path).isEqualTo(HttpStatus.UNAUTHORIZED);
        }
        ResponseEntity<String> engines = api().getForEntity("/engine-rest/engine", String.class);
        assertThat(engines.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(engines.getBody()).contains(processEngine.getName());
        assertThat(api().getForEntity(engineRest() + "/process-definition", String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertThat(restTemplate.withBasicAuth(otherUser(), "nope").getForEntity(engineRest() + "/process-definition",
                String.class).getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
    }

    @Test
    void webappApiNeedsASession() {
        for (String engine : List.of("default", processEngine.getName())) {
            ResponseEntity<String> r = anonymous().getForEntity(
                    "/camunda/api/engine/engine/" + engine + "/process-definition", String.class);
            assertThat(r.getStatusCode().value()).as(engine).isIn(401, 403);
        }
    }

    @Test
    void onlyHealthIsOpenOnTheActuatorAndMetricsNeedALogin() {
        ResponseEntity<String> health = anonymous().getForEntity("/actuator/health", String.class);
        assertThat(health.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(health.getBody()).contains("\"status\":\"UP\"");
        assertThat(anonymous().getForEntity("/actuator/metrics", String.class).getStatusCode())
                .isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(api().getForEntity("/actuator/metrics", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
        for (String path : List.of("/actuator/env", "/actuator/beans")) {
            assertThat(anonymous().getForEntity(path, String.class).getStatusCode().is2xxSuccessful()).as(path).isFalse();
            assertThat(api().getForEntity(path, String.class).getStatusCode().is2xxSuccessful()).as(path).isFalse();
        }
    }

    @Test
    void theEngineKnowsTheUserWhileAnApiRequestRuns() throws Exception {
        ApiAuthenticationFilter filter = new ApiAuthenticationFilter(identityService);
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/domains/x/stop");
        request.addHeader(HttpHeaders.AUTHORIZATION,
                "Basic " + Base64.getEncoder().encodeToString("test:test".getBytes()));
        List<Authentication> seen = new ArrayList<>();

        filter.doFilter(request, new MockHttpServletResponse(),
                (req, res) -> seen.add(identityService.getCurrentAuthentication()));

        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).getUserId()).isEqualTo("test");
        assertThat(seen.get(0).getGroupIds()).contains("camunda-admin"); // the admin user's group
        assertThat(identityService.getCurrentAuthentication()).isNull(); // cleared afterwards
    }
}
