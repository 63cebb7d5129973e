package io.nbdflow.ops;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.Wait;
import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The migration meters, fed by the engine plugin, read through /actuator/metrics: a migration of
 * an unknown domain is refused, and the counters move.
 */
class MigrationMetricsTest extends SpringQemuTest {

    private static final String ENDED_REFUSED = "/actuator/metrics/nbdflow.migrations.ended?tag=outcome:refused";

    @Test
    void aRefusedMigrationIsCountedAndTimed() throws Exception {
        double endedBefore = count(ENDED_REFUSED);
        double startedBefore = count("/actuator/metrics/nbdflow.migrations.started");
        double timedBefore = count("/actuator/metrics/nbdflow.migration.duration?tag=outcome:refused");

        // through the engine's own start (the API answers 404 for an unknown domain before starting anything)
        String domain = "nope-" + UUID.randomUUID();
        ResponseEntity<JsonNode> started = api().postForEntity(
                engineRest() + "/process-definition/key/storageMigration/start",
                Map.of("variables", Map.of("domain", Map.of("value", domain, "type", "String"),
                        "destinationHost", Map.of("value", "host-b", "type", "String"))), JsonNode.class);
        assertThat(started.getStatusCode()).as(String.valueOf(started.getBody())).isEqualTo(HttpStatus.OK);
        String id = started.getBody().path("id").asText();
        awaitEnd(id, Duration.ofSeconds(60));
        assertThat(variable(id, Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);

        // counted once the engine's transaction committed, just after the instance ended
        awaitCount(ENDED_REFUSED, endedBefore + 1, Duration.ofSeconds(10));
        assertThat(count("/actuator/metrics/nbdflow.migrations.started")).isGreaterThanOrEqualTo(startedBefore + 1);
        assertThat(count("/actuator/metrics/nbdflow.migration.duration?tag=outcome:refused"))
                .isGreaterThanOrEqualTo(timedBefore + 1);
        JsonNode ended = api().getForObject("/actuator/metrics/nbdflow.migrations.ended", JsonNode.class);
        assertThat(ended.path("availableTags").findValues("values").toString())
                .contains(Vars.OUTCOME_MIGRATED, Vars.OUTCOME_ROLLED_BACK, Vars.OUTCOME_REFUSED);
    }

    @Test
    void metricsNeedALogin() {
        for (String path : new String[] {"/actuator/metrics", ENDED_REFUSED}) {
            ResponseEntity<String> r = anonymous().getForEntity(path, String.class);
            assertThat(r.getStatusCode()).as(path).isEqualTo(HttpStatus.UNAUTHORIZED);
        }
        ResponseEntity<JsonNode> names = api().getForEntity("/actuator/metrics", JsonNode.class);
        assertThat(names.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(names.getBody().path("names").toString()).contains("nbdflow.migrations.started",
                "nbdflow.migrations.ended", "nbdflow.migration.duration", "nbdflow.migration.bytes.mirrored",
                "nbdflow.migration.downtime");
    }

    /** The meter's COUNT statistic, read over HTTP as test/test. */
    private double count(String path) {
        ResponseEntity<JsonNode> r = api().getForEntity(path, JsonNode.class);
        assertThat(r.getStatusCode()).as(path + ": " + r.getBody()).isEqualTo(HttpStatus.OK);
        for (JsonNode m : r.getBody().path("measurements")) {
            if ("COUNT".equals(m.path("statistic").asText())) {
                return m.path("value").asDouble();
            }
        }
        throw new AssertionError(path + " has no COUNT: " + r.getBody());
    }

    private void awaitCount(String path, double expected, Duration timeout) throws InterruptedException {
        Wait.until(path + " at " + expected, timeout, () -> count(path), now -> now >= expected);
    }

    private Object variable(String id, String name) {
        HistoricVariableInstance v = processEngine.getHistoryService().createHistoricVariableInstanceQuery()
                .processInstanceId(id).variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }
}
