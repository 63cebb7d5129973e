package io.nbdflow.e2e;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.NbdflowTestContext;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A person stops a running migration: through POST /api/migrations/{id}/abort or the BPMN message
 * abortMigration correlated through the engine API, while the disks are mirrored or while the
 * switchover waits for approval. The abort is recorded and turned into a rollback by the watcher
 * of the current wait; afterwards the same invariants hold as after an injected fault (see
 * {@link FaultInjectionTest}), and the same migration started again succeeds.
 */
class AbortTest extends MigrationTestBase {

    @Test
    void abortThroughTheApiWhileDisksAreMirrored() throws Exception {
        String name = "ab-mirror";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        awaitActivity(id, "Task_WaitSteadyState", Duration.ofSeconds(60));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
        }
        ResponseEntity<String> abort = api().postForEntity("/api/migrations/" + id + "/abort", null, String.class);
        assertThat(abort.getStatusCode()).as(abort.getBody()).isEqualTo(HttpStatus.ACCEPTED);
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat((String) variables(id).get("failureReason")).contains("aborted by test");
        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        String again = assertSameMigrationSucceeds(name, request, vda);

        ResponseEntity<String> late = api().postForEntity("/api/migrations/" + again + "/abort", null, String.class);
        assertThat(late.getStatusCode()).as("abort of a migrated one: %s", late.getBody())
                .isEqualTo(HttpStatus.CONFLICT);
    }

    @Test
    void abortWhileWaitingForApproval() throws Exception {
        String name = "ab-approve";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16,
                "approveSwitchover", true);

        String id = migrate(name, request);
        awaitActivity(id, "UserTask_ApproveSwitchover", Duration.ofSeconds(90));
        try (QmpClient qmp = tools(name)) {
            guestWrite(qmp);
        }
        ResponseEntity<String> abort = api().postForEntity("/api/migrations/" + id + "/abort", null, String.class);
        assertThat(abort.getStatusCode()).as(abort.getBody()).isEqualTo(HttpStatus.ACCEPTED);
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat((String) variables(id).get("failureReason")).contains("aborted by test");
        assertThat(processEngine.getHistoryService().createHistoricTaskInstanceQuery().processInstanceId(id)
                .taskDefinitionKey("UserTask_ApproveSwitchover").singleResult().getDeleteReason())
                .as("the approval task was withdrawn, not completed").isNotEqualTo("completed");
        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    /** A person declines the switchover through the engine API (switchoverApproved=false): all is undone. */
    @Test
    void aDeclinedSwitchoverRollsBack() throws Exception {
        String name = "ab-decline";
        Path vda = startDomain(name, 64 * MiB, 16 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "approveSwitchover", true);

        String id = migrate(name, request);
        awaitActivity(id, "UserTask_ApproveSwitchover", Duration.ofSeconds(90));
        try (QmpClient qmp = tools(name)) {
            guestWrite(qmp);
        }
        String task = processEngine.getTaskService().createTaskQuery().processInstanceId(id).singleResult().getId();
        ResponseEntity<String> declined = api().postForEntity(engineRest() + "/task/" + task + "/complete",
                switchoverDecision(false), String.class);
        assertThat(declined.getStatusCode().is2xxSuccessful()).as(declined.getBody()).isTrue();
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat((String) variables(id).get("failureReason"))
                .isEqualTo("Approve switchover: declined by " + NbdflowTestContext.USER);
        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void abortMessageThroughTheEngineApiWhileDisksAreMirrored() throws Exception {
        String name = "ab-message";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        // 8 s of mirror: room for the message, even on a busy machine
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 8);
        // the engine REST API's first call is slow (Jersey starts): make it before the clock runs
        assertThat(api().getForEntity(engineRest() + "/process-definition/key/storageMigration", String.class)
                .getStatusCode()).isEqualTo(HttpStatus.OK);

        String id = migrate(name, request);
        awaitActivity(id, "Task_WaitSteadyState", Duration.ofSeconds(60));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
        }
        ResponseEntity<String> message = api().postForEntity(engineRest() + "/message",
                Map.of("messageName", "abortMigration", "processInstanceId", id), String.class);
        assertThat(message.getStatusCode().is2xxSuccessful()).as("%s %s", message.getStatusCode(), message.getBody())
                .isTrue();
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat((String) variables(id).get("failureReason")).contains("aborted by");
        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void abortOfAnEndedMigrationIsAConflictAndOfAnUnknownOneNotFound() throws Exception {
        String name = "ab-ended";
        startDomain(name, 16 * MiB, MiB);
        // refused at once, nothing touched: an ended migration
        String id = migrate(name, Map.of("destinationHost", "host-nowhere"));
        awaitEnd(id, Duration.ofSeconds(60));
        assertThat(variables(id).get("outcome")).isEqualTo("refused");

        ResponseEntity<String> ended = api().postForEntity("/api/migrations/" + id + "/abort", null, String.class);
        assertThat(ended.getStatusCode()).as(ended.getBody()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(variables(id)).as("nothing recorded on an ended migration").doesNotContainKey("abortRequested");

        ResponseEntity<String> unknown = api().postForEntity("/api/migrations/no-such-migration/abort", null,
                String.class);
        assertThat(unknown.getStatusCode()).as(unknown.getBody()).isEqualTo(HttpStatus.NOT_FOUND);
    }
}
