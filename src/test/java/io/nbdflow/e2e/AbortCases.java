package io.nbdflow.e2e;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.qmp.QmpClient;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A person stops a running migration through POST /api/migrations/{id}/abort, while the disks are
 * mirrored or while the switchover waits for approval. The abort is recorded and turned into a
 * rollback by the watcher of the current wait; afterwards the same invariants hold as after an
 * injected fault (see {@link FaultScenario}), and the same migration started again succeeds. Run
 * on this machine's hosts by {@link AbortTest} (with the other ways to stop one), over SSH by
 * {@link SshAbortTest}.
 */
abstract class AbortCases extends MigrationTestBase {

    @Test
    void abortThroughTheApiWhileDisksAreMirrored() throws Exception {
        FaultScenario s = scenario("ab-mirror", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));

        String id = s.migrate();
        awaitActivity(id, Bpmn.WAIT_STEADY_STATE, Duration.ofSeconds(60));
        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
        }
        ResponseEntity<String> abort = api().postForEntity("/api/migrations/" + id + "/abort", null, String.class);
        assertThat(abort.getStatusCode()).as(abort.getBody()).isEqualTo(HttpStatus.ACCEPTED);
        s.awaitEnd(Duration.ofSeconds(120));

        assertThat(s.failureReason()).contains("aborted by test");
        s.assertRolledBack();
        String again = s.assertSameMigrationSucceeds();

        ResponseEntity<String> late = api().postForEntity("/api/migrations/" + again + "/abort", null, String.class);
        assertThat(late.getStatusCode()).as("abort of a migrated one: %s", late.getBody())
                .isEqualTo(HttpStatus.CONFLICT);
    }

    @Test
    void abortWhileWaitingForApproval() throws Exception {
        FaultScenario s = scenario("ab-approve", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16, "approveSwitchover", true));

        String id = s.migrate();
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
        try (QmpClient qmp = tools(s.name())) {
            guestWrite(qmp);
        }
        ResponseEntity<String> abort = api().postForEntity("/api/migrations/" + id + "/abort", null, String.class);
        assertThat(abort.getStatusCode()).as(abort.getBody()).isEqualTo(HttpStatus.ACCEPTED);
        s.awaitEnd(Duration.ofSeconds(120));

        assertThat(s.failureReason()).contains("aborted by test");
        assertThat(processEngine.getHistoryService().createHistoricTaskInstanceQuery().processInstanceId(id)
                .taskDefinitionKey(Bpmn.APPROVE_SWITCHOVER).singleResult().getDeleteReason())
                .as("the approval task was withdrawn, not completed").isNotEqualTo("completed");
        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }
}
