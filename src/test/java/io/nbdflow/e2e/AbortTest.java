package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestImages;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A person stops a running migration: through POST /api/migrations/{id}/abort or the BPMN message
 * abortMigration correlated through the engine API, while the disks are mirrored or while the
 * switchover waits for approval. The abort is recorded and turned into a rollback by the watcher
 * of the current wait; afterwards the same invariants hold as after an injected fault (see
 * {@link FaultInjectionTest}), and the same migration started again succeeds.
 */
class AbortTest extends SpringQemuTest {
    static final long MiB = TestImages.MiB;
    static final int GUEST_PATTERN = 0x5c;
    static final long GUEST_OFFSET = 0;

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
        assertRolledBackCleanly(name, id, before);
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
        assertRolledBackCleanly(name, id, before);
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
        assertRolledBackCleanly(name, id, before);
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

    // ---- the invariants (as in FaultInjectionTest)

    /**
     * After a failed migration: the outcome and a reason; the source runs on host-a with no block
     * job; host-b holds no file, folder, QEMU or listening port of it.
     */
    private void assertRolledBackCleanly(String name, String id, Set<String> destinationBefore) throws Exception {
        Map<String, Object> vars = variables(id);
        assertThat(vars.get("outcome")).as("failureReason: %s", vars.get("failureReason")).isEqualTo("rolled-back");
        assertThat((String) vars.get("failureReason")).isNotBlank();

        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.status(qmp)).isEqualTo("running");
            assertThat(SourceSide.blockJobs(qmp)).as("block jobs on the source").isEmpty();
        }
        assertDestinationClean(name, vars, destinationBefore);
    }

    private void assertDestinationClean(String name, Map<String, Object> vars, Set<String> destinationBefore)
            throws IOException {
        assertThat(destinationStorage()).as("host-b storage as before").isEqualTo(destinationBefore);
        Path dir = hostB().domainDir(name);
        assertThat(dir).as("destination folder").doesNotExist();
        if (vars.get("destinationPid") instanceof Number pid) {
            assertThat(QemuProcesses.isLiveQemu(pid.longValue())).as("destination QEMU alive").isFalse();
        }
        assertThat(ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(dir.toString()))
                        .orElse(false))
                .map(ProcessHandle::pid).toList()).as("processes using " + dir).isEmpty();
        for (int port = 49152; port <= 49215; port++) {
            assertThat(Ports.isListening(hostB().address(), port)).as("port %d on host-b", port).isFalse();
        }
    }

    /** The same request again goes through; the source image holds the guest's write from before. */
    private String assertSameMigrationSucceeds(String name, Map<String, Object> request, Path sourceVda)
            throws Exception {
        String again = migrate(name, request);
        if (Boolean.TRUE.equals(request.get("approveSwitchover"))) {
            awaitActivity(again, "UserTask_ApproveSwitchover", Duration.ofSeconds(90));
            approve(again);
        }
        awaitEnd(again, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(again);
        assertThat(vars.get("outcome")).as("failureReason: %s", vars.get("failureReason")).isEqualTo("migrated");
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");

        assertThat(api().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertThat(TestImages.verify(sourceVda, "qcow2", GUEST_PATTERN, GUEST_OFFSET, MiB))
                .as("the guest's write during the failed migration").isTrue();
        Path copy = hostB().storageDir().resolve(name + "-vda.qcow2");
        assertThat(TestImages.compare(sourceVda, copy)).as("the copy equals the source").isTrue();
        return again;
    }

    // ---- helpers

    /** Defines and starts a one-disk domain on host-a; its disk has `written` bytes of 0x11. */
    private Path startDomain(String name, long size, long written) {
        Path vda = TestImages.create(hostA().storageDir(), name + "-src-vda.qcow2", "qcow2", size);
        TestImages.write(vda, "qcow2", 0x11, 0, written);
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", vda.toString(), "format", "qcow2")))),
                String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        return vda;
    }

    private String migrate(String name, Map<String, Object> body) {
        ResponseEntity<JsonNode> r = api().postForEntity("/api/domains/" + name + "/migrate", body, JsonNode.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(String.valueOf(r.getBody())).isTrue();
        return r.getBody().path("processInstanceId").asText();
    }

    private QmpClient tools(String name) throws Exception {
        return QmpClient.connect(hostA().domainDir(name).resolve("qmp-tools.sock"), Duration.ofSeconds(10));
    }

    /** A write as the guest makes it: HMP qemu-io on the disk's virtio device (empty answer = success). */
    private static void guestWrite(QmpClient qmp) throws Exception {
        String out = qmp.execute("human-monitor-command", Map.of("command-line",
                "qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend \"write -P "
                        + String.format("0x%02x", GUEST_PATTERN) + " " + GUEST_OFFSET + " " + MiB + "\"")).asText();
        assertThat(out).as("qemu-io via HMP").isEmpty();
    }

    private void approve(String id) {
        Task task = processEngine.getTaskService().createTaskQuery().processInstanceId(id).singleResult();
        assertThat(task).as("approval task").isNotNull();
        processEngine.getTaskService().complete(task.getId());
    }

    private static void awaitMirrorJobs(QmpClient qmp, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (SourceSide.mirrorJobs(qmp).size() < count) {
            assertThat(System.nanoTime()).as("mirror jobs started in time").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private void awaitEnd(String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processEngine.getHistoryService().createHistoricProcessInstanceQuery().processInstanceId(id)
                .finished().count() == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("migration " + id + " did not end in " + timeout + "; incidents: "
                        + processEngine.getRuntimeService().createIncidentQuery().processInstanceId(id).list()
                        .stream().map(i -> i.getActivityId() + ": " + i.getIncidentMessage()).toList());
            }
            Thread.sleep(100);
        }
    }

    private void awaitActivity(String id, String activityId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processEngine.getRuntimeService().createExecutionQuery().processInstanceId(id)
                .activityId(activityId).count() == 0) {
            assertThat(System.nanoTime()).as("reached " + activityId + " (variables " + variables(id) + ")")
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private Map<String, Object> variables(String id) {
        Map<String, Object> vars = new HashMap<>();
        processEngine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(id).list()
                .forEach(v -> vars.put(v.getName(), v.getValue()));
        return vars;
    }

    private Set<String> destinationStorage() throws IOException {
        try (Stream<Path> files = Files.list(hostB().storageDir())) {
            return files.map(p -> p.getFileName().toString()).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }
}
