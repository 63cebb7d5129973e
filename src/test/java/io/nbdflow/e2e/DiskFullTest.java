package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.ExternalCommand;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestImages;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

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
 * The destination's storage fills up in the middle of the mirror: host-b's storage folder is a
 * 24 MiB tmpfs and the disk holds 64 MiB of data. The NBD server on the destination answers
 * ENOSPC, the mirror job fails, the migration rolls back and leaves host-b as it was; with the
 * space back (tmpfs unmounted) the same migration succeeds.
 * <p>
 * Its own application context (the extra property makes Spring build one), so that host-b's
 * storage folder is empty when the tmpfs is mounted over it; closed after the class.
 */
@TestPropertySource(properties = "nbdflow-test.context=disk-full")
@DirtiesContext // closed after the class: its engine and QEMUs do not linger for the rest of the suite
class DiskFullTest extends SpringQemuTest {
    static final long MiB = TestImages.MiB;
    static final int GUEST_PATTERN = 0x5c;
    static final long GUEST_OFFSET = 0;

    @Test
    void destinationRunningOutOfSpaceMidMirrorRollsBack() throws Exception {
        String name = "df-enospc";
        Path storage = hostB().storageDir();
        try (Stream<Path> files = Files.list(storage)) {
            assertThat(files.toList()).as("host-b storage empty before the mount").isEmpty();
        }
        run(List.of("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", storage.toString()));
        Path vda;
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);
        try {
            vda = startDomain(name, 256 * MiB, 64 * MiB);
            Set<String> before = destinationStorage();
            try (QmpClient qmp = tools(name)) {
                guestWrite(qmp);
            }
            String id = migrate(name, request);
            awaitEnd(id, Duration.ofSeconds(120));

            String reason = (String) variables(id).get("failureReason");
            assertThat(reason).as("failureReason").containsIgnoringCase("mirror").contains("No space");
            assertRolledBackCleanly(name, id, before);
        } finally {
            // a destination QEMU left by a failure would keep the tmpfs busy (this context is ours alone)
            QemuReaper.killAllBelow(hostB().domainDir(name).getParent());
            unmount(storage);
        }
        assertSameMigrationSucceeds(name, request, vda);
    }

    /** Unmounts; lazily if something still holds it, so that no mount outlives the test. */
    private static void unmount(Path dir) {
        ExternalCommand.Result r = ExternalCommand.run(List.of("umount", dir.toString()), Duration.ofSeconds(30));
        if (r.exitCode() != 0) {
            run(List.of("umount", "-l", dir.toString()));
            throw new AssertionError("umount " + dir + " failed: " + r.stdout() + r.stderr());
        }
    }

    private static void run(List<String> command) {
        ExternalCommand.Result r = ExternalCommand.run(command, Duration.ofSeconds(30));
        assertThat(r.exitCode()).as("%s: %s%s", command, r.stdout(), r.stderr()).isZero();
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
