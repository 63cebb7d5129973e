package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.domain.DomainRepository;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.store.MigrationRecords;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deleting a migration's process instance (Cockpit's cancel) leaves nothing behind: before the
 * switchover the deletion undoes the migration at once; with {@code skipCustomListeners=true}
 * (no listener runs) the reconciler finds what no live migration owns and undoes it within its
 * interval; past the switchover the deletion is refused.
 */
class NoOrphansTest extends MigrationTestBase {

    @Autowired
    DomainRepository domains;
    @Autowired
    MigrationRecords records;

    @Test
    void deletingTheInstanceMidMirrorUndoesItAtOnce() throws Exception {
        String name = "no-delete";
        startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));
        long destinationPid = midMirror(name, id);

        ResponseEntity<String> deleted = api().exchange(engineRest() + "/process-instance/" + id, HttpMethod.DELETE,
                null, String.class);
        assertThat(deleted.getStatusCode()).as(deleted.getBody()).isEqualTo(HttpStatus.NO_CONTENT);

        RecordedUndoChecks.assertUndone(this, domains, records, name, id, destinationPid, before);
    }

    @Test
    void theReconcilerCleansUpAnInstanceDeletedWithoutListeners() throws Exception {
        String name = "no-skip";
        startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));
        long destinationPid = midMirror(name, id);

        ResponseEntity<String> deleted = api().exchange(engineRest() + "/process-instance/" + id
                + "?skipCustomListeners=true", HttpMethod.DELETE, null, String.class);
        assertThat(deleted.getStatusCode()).as(deleted.getBody()).isEqualTo(HttpStatus.NO_CONTENT);
        // nothing was undone by the deletion itself
        assertThat(QemuProcesses.isLiveQemu(destinationPid)).as("destination QEMU right after the deletion").isTrue();

        Wait.until("the reconciler cleaned up", Duration.ofSeconds(60),
                () -> !QemuProcesses.isLiveQemu(destinationPid) && portAllocator.heldBy(id).isEmpty()
                        && domains.migrationOf(name).isEmpty() && !records.migrations().contains(id));
        RecordedUndoChecks.assertUndone(this, domains, records, name, id, destinationPid, before);

        JsonNode runs = api().getForObject("/api/reconciler", JsonNode.class);
        assertThat(runs.isArray()).as(runs.toString()).isTrue();
        assertThat(runs.toString()).as("GET /api/reconciler").contains(id).contains("stopped destination QEMU")
                .contains("released ports");
        assertThat(meterCount("destination-qemu")).as("nbdflow.reconciler.cleaned{kind=destination-qemu}")
                .isGreaterThanOrEqualTo(1);
    }

    /**
     * A created-files journal that no migration owns (the step created a file, then the application
     * died and the instance was deleted): the reconciler removes the files it lists below host-b's
     * folders, nothing outside them, and the journal.
     */
    @Test
    void theReconcilerRemovesWhatAnOrphanedJournalLists() throws Exception {
        Files.createDirectories(hostB().storageDir());
        Path created = hostB().storageDir().resolve("no-journal-vda.qcow2");
        Files.writeString(created, "half a migration");
        Path victim = testRoot().resolve("no-journal-victim");
        Files.writeString(victim, "precious");
        Path journal = hostB().stateDir().resolve(".nbdflow-created").resolve("no-such-migration");
        Files.createDirectories(journal.getParent());
        Files.writeString(journal, created + "\n" + victim + "\n");

        Wait.until("the reconciler removed the journal", Duration.ofSeconds(30), () -> !Files.exists(journal));
        assertThat(created).as("the file the journal lists").doesNotExist();
        assertThat(victim).as("a file outside the host's folders").hasContent("precious");
    }

    @Test
    void deletingAMigrationPastTheSwitchoverIsRefused() throws Exception {
        String name = "no-late";
        startDomain(name, 32 * MiB, 8 * MiB);
        String id = migrate(name, Map.of("destinationHost", "host-b", "approveSwitchover", true));
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
        records.markSwitchoverStarted(id); // as "Switch over" does when it starts

        ResponseEntity<String> deleted = api().exchange(engineRest() + "/process-instance/" + id, HttpMethod.DELETE,
                null, String.class);
        assertThat(deleted.getStatusCode().is2xxSuccessful()).as(deleted.getBody()).isFalse();
        assertThat(deleted.getBody()).contains("past the switchover");
        assertThat(processEngine.getRuntimeService().createProcessInstanceQuery().processInstanceId(id).count())
                .as("the instance still exists").isEqualTo(1);

        approve(id);
        awaitEnd(id, Duration.ofSeconds(120));
        assertThat(variables(id).get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(records.migrations()).as("records of an ended migration").doesNotContain(id);
        stop(name);
    }

    /** Waits until the migration mirrors (not yet in sync); returns its destination QEMU's pid. */
    private long midMirror(String name, String id) throws Exception {
        awaitActivity(id, Bpmn.WAIT_STEADY_STATE, Duration.ofSeconds(60));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
        }
        return ((Number) processEngine.getRuntimeService().getVariable(id, Vars.DESTINATION_PID)).longValue();
    }

    private double meterCount(String kind) {
        JsonNode m = api().getForObject("/actuator/metrics/nbdflow.reconciler.cleaned?tag=kind:" + kind,
                JsonNode.class);
        return m.path("measurements").path(0).path("value").asDouble();
    }
}
