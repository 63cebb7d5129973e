package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.BlockJob;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The NBD connection cut in the middle of the mirror: the destination's NBD server is stopped
 * through its operators' monitor while the (bandwidth-limited) mirror still copies. The
 * migration rolls back with the same invariants as {@link FaultInjectionTest} (whose helpers
 * are copied here), and the same migration started again succeeds.
 */
class NbdCutTest extends SpringQemuTest {
    /** host-b's address in this run (see NbdflowTestContext: -Dnbdflow.test.address-b). */
    static final String HOST_B = System.getProperty("nbdflow.test.address-b", "127.0.0.2");

    static final long MiB = TestImages.MiB;
    /** The guest's write during the migration: inside the written area, so no qcow2 metadata changes. */
    static final int GUEST_PATTERN = 0x5c;
    static final long GUEST_OFFSET = 0;

    @Test
    void nbdServerStoppedWhileDisksAreMirroredRollsBack() throws Exception {
        String name = "nbd-cut";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            try (QmpClient destination = QmpClient.connect(hostB().domainDir(name).resolve("qmp-tools.sock"),
                    Duration.ofSeconds(10))) {
                destination.execute("nbd-server-stop");
            }
        }
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat((String) variables(id).get("failureReason")).containsIgnoringCase("mirror");
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
            throws Exception {
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
        for (String variable : List.of("nbdPort", "migrationPort")) {
            if (vars.get(variable) instanceof Number port) {
                assertThat(Ports.isListening(hostB().address(), port.intValue())).as(variable + " on host-b")
                        .isFalse();
            }
        }
        assertThat(listeners(HOST_B, testRoot())).as("our listeners on host-b").isEmpty();
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
        assertThat(vars.get("outcome")).as("failureReason: %s; listeners on host-b: %s", vars.get("failureReason"),
                listeners(HOST_B, null)).isEqualTo("migrated");
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

    /**
     * The TCP listeners on address in the migration port range, as "port pid command line", from
     * ss. Other test runs on this machine use the same range: only those whose command line names
     * {@code below} are ours.
     */
    static List<String> listeners(String address, Path below) throws Exception {
        Process ss = new ProcessBuilder(List.of("ss", "-Htlnp")).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes());
        assertThat(ss.waitFor()).as("ss: " + out).isZero();
        Pattern line = Pattern.compile(Pattern.quote(address) + ":(\\d+)\\s.*?pid=(\\d+)");
        List<String> found = new ArrayList<>();
        for (String l : out.split("\n")) {
            Matcher m = line.matcher(l);
            if (m.find() && Integer.parseInt(m.group(1)) >= 49152 && Integer.parseInt(m.group(1)) <= 49215) {
                String args = ProcessHandle.of(Long.parseLong(m.group(2))).flatMap(h -> h.info().arguments())
                        .map(a -> String.join(" ", a)).orElse("?");
                if (below == null || args.contains(below.toString())) {
                    found.add(m.group(1) + " " + m.group(2) + " " + args);
                }
            }
        }
        return found;
    }
}
