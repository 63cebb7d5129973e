package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestImages;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static io.nbdflow.e2e.MigrationTestBase.GUEST_OFFSET;
import static io.nbdflow.e2e.MigrationTestBase.GUEST_PATTERN;
import static io.nbdflow.e2e.MigrationTestBase.MiB;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One migration that a fault makes fail, the way every end-to-end fault test runs it: a domain
 * started on host-a (by {@link MigrationTestBase#scenario}), the migration started with host-b's
 * storage noted just before, the fault injected by the test (usually with the guest's write,
 * {@link MigrationTestBase#guestWrite(QmpClient)}, meanwhile), the end awaited, then the
 * invariants: the migration ended rolled back (or refused) with a reason, the source runs on
 * host-a with no block job of ours, host-b holds nothing of it (files, folder, QEMU, listening
 * ports, port reservations); and the same migration started again succeeds, with the guest's
 * write in both the source and the copy.
 * <pre>
 * FaultScenario s = scenario("fi-x", 256 * MiB, 64 * MiB, Map.of("destinationHost", "host-b"));
 * s.migrate();
 * try (QmpClient qmp = tools(s.name())) {
 *     guestWrite(qmp);
 *     ... the fault ...
 * }
 * s.awaitEnd(Duration.ofSeconds(120));
 * s.assertRolledBack();
 * s.assertSameMigrationSucceeds();
 * </pre>
 * The checks call back into the test, so a class that sees host-b its own way (its
 * {@link MigrationTestBase#assertHostBPortsClosed}) keeps it.
 */
final class FaultScenario {
    private final MigrationTestBase test;
    private final String name;
    private final Path vda;
    private final Map<String, Object> request;
    private Set<String> destinationBefore;
    private String id;

    /**
     * @param vda     the domain's first disk on host-a, where the guest's write is looked for
     * @param request the body of the migration that must succeed once the fault is gone
     */
    FaultScenario(MigrationTestBase test, String name, Path vda, Map<String, Object> request) {
        this.test = test;
        this.name = name;
        this.vda = vda;
        this.request = request;
    }

    String name() {
        return name;
    }

    /** The domain's first disk, its path on host-a. */
    Path vda() {
        return vda;
    }

    /** The failing migration's process instance id. */
    String id() {
        if (id == null) {
            throw new IllegalStateException("the scenario's migration has not been started");
        }
        return id;
    }

    /** Notes host-b's storage, then starts the migration of the scenario's request; returns its id. */
    String migrate() throws IOException {
        return migrate(request);
    }

    /**
     * Notes host-b's storage, then starts a migration with another body than the one run again
     * afterwards (e.g. a slower one that the fault can catch); returns its id.
     */
    String migrate(Map<String, Object> body) throws IOException {
        destinationBefore = test.destinationStorage();
        id = test.migrate(name, body);
        return id;
    }

    /** Waits until the failing migration has ended. */
    void awaitEnd(Duration timeout) throws InterruptedException {
        test.awaitEnd(id(), timeout);
    }

    /** The failing migration's variables (from the history). */
    Map<String, Object> variables() {
        return test.variables(id());
    }

    String failureReason() {
        return (String) variables().get(Vars.FAILURE_REASON);
    }

    // ---- the invariants

    /** Rolled back, and everything as before (see {@link #assertEndedCleanly}); no foreign block job. */
    void assertRolledBack() throws Exception {
        assertEndedCleanly(Vars.OUTCOME_ROLLED_BACK, Set.of());
    }

    /**
     * After the failed migration: that outcome and a reason, every variable plain, no port
     * reserved; the source runs on host-a with no block job but the foreign ones named; host-b
     * holds no file, folder, QEMU or listening port of it.
     */
    void assertEndedCleanly(String outcome, Set<String> foreignJobs) throws Exception {
        Map<String, Object> vars = variables();
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON)).isEqualTo(outcome);
        assertThat((String) vars.get(Vars.FAILURE_REASON)).isNotBlank();
        test.assertVariablesPlain(id);
        test.assertNoPortReserved(id);

        JsonNode domain = test.api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        try (QmpClient qmp = test.tools(name)) {
            assertThat(SourceSide.status(qmp)).isEqualTo("running");
            assertThat(SourceSide.blockJobs(qmp)).extracting(BlockJob::id).as("block jobs on the source")
                    .containsExactlyInAnyOrderElementsOf(foreignJobs);
        }
        test.assertDestinationClean(name, vars, destinationBefore);
    }

    /**
     * The source's QEMU died: rolled back with a reason, the domain on host-a but shut off, host-b
     * clean, no port reserved. The guest must be started again before {@link #assertSameMigrationSucceeds}.
     */
    void assertRolledBackWithTheSourceStopped() throws Exception {
        Map<String, Object> vars = variables();
        assertThat(vars.get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_ROLLED_BACK);
        assertThat((String) vars.get(Vars.FAILURE_REASON)).isNotBlank();
        JsonNode domain = test.api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("shutoff");
        test.assertDestinationClean(name, vars, destinationBefore);
        test.assertNoPortReserved(id);
    }

    /**
     * Refused for a bad request, before anything was done: the reason names the field, host-b is
     * untouched (no file, folder, QEMU or port), and the domain still runs on host-a.
     */
    void assertRefusedUntouched(String field) throws IOException {
        Map<String, Object> vars = variables();
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_REFUSED);
        assertThat((String) vars.get(Vars.FAILURE_REASON)).startsWith(field + ":");
        test.assertNothingOnHostB(name, vars, destinationBefore, name);
        test.assertNoPortReserved(id);
        JsonNode domain = test.api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("running");
    }

    /**
     * The scenario's request again goes through: migrated (approved if the request asks for it),
     * the domain runs on host-b, no port stays reserved; once stopped, the source image holds the
     * guest's write from before and the copy on host-b equals it. Returns the new instance's id.
     */
    String assertSameMigrationSucceeds() throws Exception {
        String again = test.migrate(name, request);
        if (Boolean.TRUE.equals(request.get("approveSwitchover"))) {
            test.awaitActivity(again, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
            test.approve(again);
        }
        test.awaitEnd(again, Duration.ofSeconds(180));
        Map<String, Object> vars = test.variables(again);
        assertThat(vars.get(Vars.OUTCOME)).as(() -> "failureReason: " + vars.get(Vars.FAILURE_REASON)
                + "; listeners on host-b: " + test.listenersOnHostB()).isEqualTo(Vars.OUTCOME_MIGRATED);
        JsonNode domain = test.api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        test.assertNoPortReserved(again);

        test.stop(name);
        Path source = test.seen(test.hostA(), vda);
        assertThat(TestImages.verify(source, "qcow2", GUEST_PATTERN, GUEST_OFFSET, MiB))
                .as("the guest's write during the failed migration").isTrue();
        Path copy = test.seen(test.hostB(), test.hostB().storageDir().resolve(name + "-vda.qcow2"));
        assertThat(TestImages.compare(source, copy)).as("the copy equals the source").isTrue();
        return again;
    }
}
