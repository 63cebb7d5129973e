package io.nbdflow.e2e;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.NbdflowTestContext;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A person stops a running migration: through POST /api/migrations/{id}/abort (in
 * {@link AbortCases}) or the BPMN message abortMigration correlated through the engine API, while
 * the disks are mirrored or while the switchover waits for approval, or declines the switchover.
 * The abort is recorded and turned into a rollback by the watcher of the current wait; afterwards
 * the same invariants hold as after an injected fault (see {@link FaultScenario}), and the same
 * migration started again succeeds.
 */
class AbortTest extends AbortCases {

    /** A person declines the switchover through the engine API (switchoverApproved=false): all is undone. */
    @Test
    void aDeclinedSwitchoverRollsBack() throws Exception {
        FaultScenario s = scenario("ab-decline", 64 * MiB, 16 * MiB,
                Map.of("destinationHost", "host-b", "approveSwitchover", true));

        String id = s.migrate();
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
        try (QmpClient qmp = tools(s.name())) {
            guestWrite(qmp);
        }
        String task = processEngine.getTaskService().createTaskQuery().processInstanceId(id).singleResult().getId();
        ResponseEntity<String> declined = api().postForEntity(engineRest() + "/task/" + task + "/complete",
                switchoverDecision(false), String.class);
        assertThat(declined.getStatusCode().is2xxSuccessful()).as(declined.getBody()).isTrue();
        s.awaitEnd(Duration.ofSeconds(120));

        assertThat(s.failureReason()).isEqualTo("Approve switchover: declined by " + NbdflowTestContext.USER);
        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }

    @Test
    void abortMessageThroughTheEngineApiWhileDisksAreMirrored() throws Exception {
        // 8 s of mirror: room for the message, even on a busy machine
        FaultScenario s = scenario("ab-message", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 8));
        // the engine REST API's first call is slow (Jersey starts): make it before the clock runs
        assertThat(api().getForEntity(engineRest() + "/process-definition/key/" + Bpmn.PROCESS_KEY, String.class)
                .getStatusCode()).isEqualTo(HttpStatus.OK);

        String id = s.migrate();
        awaitActivity(id, Bpmn.WAIT_STEADY_STATE, Duration.ofSeconds(60));
        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
        }
        ResponseEntity<String> message = api().postForEntity(engineRest() + "/message",
                Map.of("messageName", Bpmn.MESSAGE_ABORT, "processInstanceId", id), String.class);
        assertThat(message.getStatusCode().is2xxSuccessful()).as("%s %s", message.getStatusCode(), message.getBody())
                .isTrue();
        s.awaitEnd(Duration.ofSeconds(120));

        assertThat(s.failureReason()).contains("aborted by");
        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }

    @Test
    void abortOfAnEndedMigrationIsAConflictAndOfAnUnknownOneNotFound() throws Exception {
        // refused at once, nothing touched: an ended migration
        FaultScenario s = scenario("ab-ended", 16 * MiB, MiB, Map.of("destinationHost", "host-nowhere"));
        String id = s.migrate();
        s.awaitEnd(Duration.ofSeconds(60));
        assertThat(s.variables().get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);

        ResponseEntity<String> ended = api().postForEntity("/api/migrations/" + id + "/abort", null, String.class);
        assertThat(ended.getStatusCode()).as(ended.getBody()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(s.variables()).as("nothing recorded on an ended migration").doesNotContainKey(Vars.ABORT_REQUESTED);

        ResponseEntity<String> unknown = api().postForEntity("/api/migrations/no-such-migration/abort", null,
                String.class);
        assertThat(unknown.getStatusCode()).as(unknown.getBody()).isEqualTo(HttpStatus.NOT_FOUND);
    }
}
