package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestImages;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults injected into real migrations (real QEMU on both hosts): a QEMU killed at a chosen
 * moment, a foreign block job, a file in the way. After each, the same invariants hold: the
 * migration ends rolled-back (or refused) with a reason, the source guest runs on host-a with
 * what it wrote meanwhile, host-b holds nothing of it (files, QEMU, listening ports), the source
 * has no block job of ours, and the same migration started again succeeds.
 * <p>
 * Disks are small (256 MiB virtual, 64 MiB written) and the bandwidth is limited, so the mirror
 * lasts a few seconds: a reliable window for the injection.
 */
class FaultInjectionTest extends SpringQemuTest {
    static final long MiB = TestImages.MiB;
    /** The guest's write during the migration: inside the written area, so no qcow2 metadata changes. */
    static final int GUEST_PATTERN = 0x5c;
    static final long GUEST_OFFSET = 0;

    @Test
    void destinationKilledWhileDisksAreMirrored() throws Exception {
        String name = "fi-dst-mirror";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            kill(hostB().domainDir(name).resolve("qemu.pid"));
        }
        awaitEnd(id, Duration.ofSeconds(120));

        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void aBlockJobAlreadyActiveOnTheSourceIsRefused(@TempDir Path operatorDir) throws Exception {
        String name = "fi-busy";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        try (QmpClient qmp = tools(name)) {
            // an operator's own mirror, slow enough to outlast the check
            qmp.execute("drive-mirror", Map.of("job-id", "operator-job", "device", "drive-vda",
                    "target", operatorDir.resolve("copy.qcow2").toString(), "format", "qcow2",
                    "sync", "full", "speed", MiB));
            guestWrite(qmp);
        }
        String id = migrate(name, request);
        awaitEnd(id, Duration.ofSeconds(60));
        assertThat((String) variables(id).get("failureReason")).contains("operator-job");
        assertRolledBackCleanly(name, id, "refused", before, Set.of("operator-job"));
        assertThat(hostB().domainDir(name)).as("nothing started on host-b").doesNotExist();

        try (QmpClient qmp = tools(name)) {
            qmp.execute("block-job-cancel", Map.of("device", "operator-job", "force", true));
            awaitNoBlockJobs(qmp);
        }
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void anExistingDestinationFileIsRefusedAndLeftAlone() throws Exception {
        String name = "fi-exists";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Path inTheWay = hostB().storageDir().resolve(name + "-vda.qcow2");
        Files.writeString(inTheWay, "somebody else's data\n");
        String checksum = sha256(inTheWay);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        try (QmpClient qmp = tools(name)) {
            guestWrite(qmp);
        }
        String id = migrate(name, request);
        awaitEnd(id, Duration.ofSeconds(60));

        assertThat((String) variables(id).get("failureReason")).contains(inTheWay.toString());
        assertRolledBackCleanly(name, id, "refused", before, Set.of());
        assertThat(hostB().domainDir(name)).as("nothing started on host-b").doesNotExist();
        assertThat(sha256(inTheWay)).as("the file in the way is untouched").isEqualTo(checksum);

        Files.delete(inTheWay);
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void destinationKilledWhileWaitingForApproval() throws Exception {
        String name = "fi-dst-approve";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16,
                "approveSwitchover", true);

        String id = migrate(name, request);
        awaitActivity(id, "UserTask_ApproveSwitchover", Duration.ofSeconds(90));
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors in sync").isNotEmpty().allMatch(BlockJob::ready);
            guestWrite(qmp);
            kill(hostB().domainDir(name).resolve("qemu.pid"));
        }
        approve(id);
        awaitEnd(id, Duration.ofSeconds(120));

        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void sourceKilledWhileDisksAreMirrored() throws Exception {
        String name = "fi-src-mirror";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            kill(hostA().domainDir(name).resolve("qemu.pid"));
        }
        awaitEnd(id, Duration.ofSeconds(120));

        Map<String, Object> vars = variables(id);
        assertThat(vars.get("outcome")).isEqualTo("rolled-back");
        assertThat((String) vars.get("failureReason")).isNotBlank();
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("shutoff");
        assertDestinationClean(name, vars, before);

        // the operator starts the guest again; then the migration goes through
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void destinationKilledDuringTheRamMigration() throws Exception {
        String name = "fi-dst-ram";
        // a tiny disk: at 1 MiB/s the mirror is over in seconds, and the RAM migration is slow enough to hit
        Path vda = startDomain(name, 8 * MiB, MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 1);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            guestWrite(qmp);
            // kill the destination the moment the source reports the RAM migration active
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            String status = SourceSide.queryMigrate(qmp).status();
            while (!status.equals("active")) {
                assertThat(status).as("RAM migration seen before its end").isIn("none", "setup");
                assertThat(System.nanoTime()).as("RAM migration started").isLessThan(deadline);
                Thread.sleep(2);
                status = SourceSide.queryMigrate(qmp).status();
            }
            kill(hostB().domainDir(name).resolve("qemu.pid"));
        }
        awaitEnd(id, Duration.ofSeconds(120));

        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    @Test
    void mirrorsNotConvergingInTimeRollBack() throws Exception {
        String name = "fi-slow";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        // an operator's short deadline (as one could set in Cockpit): the 16 s mirror cannot meet it
        shortenConvergenceTimeout(id, "PT3S");
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            guestWrite(qmp);
        }
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat((String) variables(id).get("failureReason")).contains("steady state within PT3S");
        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    // ---- the invariants

    /**
     * After a failed migration: the outcome and a reason; the source runs on host-a with no block
     * job but the foreign ones named; host-b holds no file, folder, QEMU or listening port of it.
     */
    private void assertRolledBackCleanly(String name, String id, String outcome, Set<String> destinationBefore,
                                         Set<String> foreignJobs) throws Exception {
        Map<String, Object> vars = variables(id);
        assertThat(vars.get("outcome")).as("failureReason: %s", vars.get("failureReason")).isEqualTo(outcome);
        assertThat((String) vars.get("failureReason")).isNotBlank();

        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.status(qmp)).isEqualTo("running");
            assertThat(SourceSide.blockJobs(qmp)).extracting(BlockJob::id)
                    .containsExactlyInAnyOrderElementsOf(foreignJobs);
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
        assertThat(Ports.listeningInRange(hostB(), hosts.ports())).as("ports listening on host-b").isEmpty();
    }

    /** The same request again goes through; the source image holds the guest's write from before. */
    private void assertSameMigrationSucceeds(String name, Map<String, Object> request, Path sourceVda)
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

    /** SIGKILL to the QEMU of that pid file, and wait until it is gone. */
    private static void kill(Path pidFile) throws InterruptedException {
        OptionalLong pid = QemuProcesses.readPid(pidFile);
        assertThat(pid).as("pid in " + pidFile).isPresent();
        ProcessHandle.of(pid.getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (QemuProcesses.isLiveQemu(pid.getAsLong())) {
            assertThat(System.nanoTime()).as("QEMU %d gone", pid.getAsLong()).isLessThan(deadline);
            Thread.sleep(10);
        }
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

    private static void awaitNoBlockJobs(QmpClient qmp) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!SourceSide.blockJobs(qmp).isEmpty()) {
            assertThat(System.nanoTime()).as("block jobs gone").isLessThan(deadline);
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

    /** Overrides the computed convergence timeout before the wait for steady state starts its timer. */
    private void shortenConvergenceTimeout(String id, String timeout) throws InterruptedException {
        RuntimeService runtime = processEngine.getRuntimeService();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            assertThat(runtime.createExecutionQuery().processInstanceId(id).activityId("Task_WaitSteadyState")
                    .count()).as("timeout set before the wait began").isZero();
            assertThat(System.nanoTime()).as("convergenceTimeout computed").isLessThan(deadline);
            try {
                if (runtime.getVariable(id, "convergenceTimeout") != null) {
                    runtime.setVariable(id, "convergenceTimeout", timeout);
                    return;
                }
            } catch (OptimisticLockingException e) {
                // a step committed meanwhile: try again
            }
            Thread.sleep(5);
        }
    }

    private Set<String> destinationStorage() throws IOException {
        try (Stream<Path> files = Files.list(hostB().storageDir())) {
            return files.map(p -> p.getFileName().toString()).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
