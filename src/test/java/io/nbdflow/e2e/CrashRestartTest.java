package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.ApplicationJvm;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application itself dies (SIGKILL, no shutdown hook, no clean close of the database) in the
 * middle of a migration and is started again on the same H2 file database and folders. QEMU keeps
 * mirroring meanwhile; the new application picks the migration up and completes it by itself.
 * The application runs as a separate JVM, exactly as it starts in production, so that it can be
 * killed without taking the test with it.
 */
class CrashRestartTest {
    private Path root;
    private List<String> arguments;
    private Process app;
    private int port;
    private int starts;

    @BeforeEach
    void newWorld() throws IOException {
        root = NbdflowTestContext.newRoot();
        port = freePort();
        arguments = new ArrayList<>();
        Map<String, String> properties = NbdflowTestContext.properties(root,
                "jdbc:h2:file:" + root.resolve("db/nbdflow") + ";WRITE_DELAY=0"); // as application.yaml
        // the plain /engine-rest/... paths look for the engine named "default"
        properties.put("camunda.bpm.generate-unique-process-engine-name", "false");
        properties.put("server.port", Integer.toString(port));
        properties.forEach((key, value) -> arguments.add("--" + key + "=" + value));
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        try {
            killApplication();
        } finally {
            QemuReaper.killAllBelow(root);
            NbdflowTestContext.deleteTree(root);
        }
    }

    @Test
    void theApplicationKilledWhileTheMirrorsCopyCompletesAfterItsRestart() throws Exception {
        String name = "cr-mirror";
        startApplication();
        Path vda = image("vda", 256 * MiB, 96 * MiB);
        startDomain(name, vda);
        long sourcePid = QemuProcesses.readPid(hostDir("a", name).resolve(QemuInstance.PID_FILE)).orElseThrow();

        // 96 MiB at 8 MiB/s: the mirror copies for ~12 s, long enough to kill in the middle of it
        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 8));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            killApplication();
            List<BlockJob> jobs = SourceSide.mirrorJobs(qmp);
            assertThat(jobs).as("QEMU still mirroring after the kill").hasSize(1);
            assertThat(jobs.get(0).ready()).as("mirror not yet in sync when killed: %s", jobs).isFalse();
        }

        startApplication();
        awaitOutcome(id, Duration.ofSeconds(120));
        assertMigrated(name, id, sourcePid, vda);
    }

    /**
     * The kill lands while a step's job is running (the source QEMU is stopped, so the step waits on
     * its monitor): the database then holds that job locked by the dead application. The restarted
     * node releases its own locks at once instead of waiting out the engine's 5-minute lock time.
     */
    @Test
    void theApplicationKilledWhileAStepWaitsOnQemuRunsTheStepAgainAfterItsRestart() throws Exception {
        String name = "cr-step";
        startApplication();
        Path vda = image("vda", 64 * MiB, 16 * MiB);
        startDomain(name, vda);
        long sourcePid = QemuProcesses.readPid(hostDir("a", name).resolve(QemuInstance.PID_FILE)).orElseThrow();

        signal("STOP", sourcePid);
        try {
            String id = migrate(name, Map.of("destinationHost", "host-b"));
            // a step that asks the source (inspect, block-job check or mirror) now waits for its reply
            Thread.sleep(4000);
            killApplication();
            assertThat(jobsLockedInTheDatabase()).as("a job held by the killed application").isNotEmpty()
                    .allMatch(owner -> owner.startsWith("nbdflow@"));
            signal("CONT", sourcePid);

            startApplication();
            awaitOutcome(id, Duration.ofSeconds(120));
            assertMigrated(name, id, sourcePid, vda);
        } finally {
            signal("CONT", sourcePid);
        }
    }

    /** Lock owners of the jobs in the (closed) database, read the way the next start finds them. */
    private List<String> jobsLockedInTheDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + root.resolve("db/nbdflow"), "sa", "");
             ResultSet r = c.createStatement().executeQuery(
                     "select LOCK_OWNER_ from ACT_RU_JOB where LOCK_OWNER_ is not null")) {
            List<String> owners = new ArrayList<>();
            while (r.next()) {
                owners.add(r.getString(1));
            }
            return owners;
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theApplicationKilledWhileWaitingForApprovalCompletesAfterItsRestart() throws Exception {
        String name = "cr-approve";
        startApplication();
        Path vda = image("vda", 256 * MiB, 64 * MiB);
        startDomain(name, vda);
        long sourcePid = QemuProcesses.readPid(hostDir("a", name).resolve(QemuInstance.PID_FILE)).orElseThrow();

        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16,
                "approveSwitchover", true));
        awaitActivity(id, "UserTask_ApproveSwitchover", Duration.ofSeconds(90));

        killApplication();
        assertThat(QemuProcesses.isLiveQemu(sourcePid)).as("source QEMU").isTrue();
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors in sync").hasSize(1).allMatch(BlockJob::ready);
        }

        startApplication();
        JsonNode tasks = api().getForObject("/engine-rest/task?processInstanceId=" + id, JsonNode.class);
        assertThat(tasks).as("approval task after the restart").hasSize(1);
        assertThat(tasks.get(0).path("taskDefinitionKey").asText()).isEqualTo("UserTask_ApproveSwitchover");
        ResponseEntity<String> complete = api().postForEntity(
                "/engine-rest/task/" + tasks.get(0).path("id").asText() + "/complete", Map.of(), String.class);
        assertThat(complete.getStatusCode()).as(complete.getBody()).isEqualTo(HttpStatus.NO_CONTENT);
        awaitOutcome(id, Duration.ofSeconds(120));
        assertMigrated(name, id, sourcePid, vda);
    }

    // ---- the outcome

    private void assertMigrated(String name, String id, long sourcePid, Path source) throws Exception {
        JsonNode migration = api().getForObject("/api/migrations/" + id, JsonNode.class);
        assertThat(migration.path("outcome").asText()).as("migration %s", migration).isEqualTo("migrated");
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        assertThat(QemuProcesses.isLiveQemu(sourcePid)).as("source QEMU gone").isFalse();
        assertThat(hostDir("a", name)).doesNotExist();
        // the whole range on this run's host-b address (-Dnbdflow.test.address-b keeps others off it)
        InetAddress hostB = InetAddress.getByName(System.getProperty("nbdflow.test.address-b", "127.0.0.2"));
        for (int p = 49152; p <= 49215; p++) {
            assertThat(Ports.isListening(hostB, p)).as("port %d on host-b", p).isFalse();
        }
        assertThat(NbdCutTest.listeners(hostB.getHostAddress(), root)).as("our listeners on host-b").isEmpty();

        assertThat(api().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        Path copy = root.resolve("b/images").resolve(name + "-vda.qcow2");
        assertThat(TestImages.compare(source, copy)).as("copy identical").isTrue();
    }

    // ---- the application, as a separate JVM

    private void startApplication() throws Exception {
        Path log = root.resolve("app-" + (++starts) + ".log");
        app = ApplicationJvm.start(root, arguments, log);
        ApplicationJvm.awaitUp(app, log, anonymous(), api());
    }

    /** SIGKILL: no shutdown hook, no watcher clean-up, the database as it was on disk. */
    private void killApplication() throws InterruptedException {
        if (app != null) {
            app.destroyForcibly();
            assertThat(app.waitFor(30, TimeUnit.SECONDS)).as("application gone").isTrue();
            app = null;
        }
    }

    private static String tail(Path log) {
        return ApplicationJvm.tail(log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private TestRestTemplate anonymous() {
        return new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port));
    }

    private TestRestTemplate api() {
        return new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port),
                NbdflowTestContext.USER, NbdflowTestContext.PASSWORD);
    }

    // ---- helpers

    private Path image(String target, long size, long written) throws Exception {
        Path dir = Files.createDirectories(root.resolve("src"));
        Path file = TestImages.create(dir, target + ".qcow2", "qcow2", size);
        TestImages.write(file, "qcow2", 0x11, 0, written);
        return file;
    }

    private void startDomain(String name, Path vda) {
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", vda.toString(), "format", "qcow2")))),
                String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
        ResponseEntity<String> start = api().postForEntity("/api/domains/" + name + "/start", null, String.class);
        assertThat(start.getStatusCode()).as(start.getBody()).isEqualTo(HttpStatus.OK);
    }

    private String migrate(String name, Map<String, Object> body) {
        ResponseEntity<JsonNode> r = api().postForEntity("/api/domains/" + name + "/migrate", body, JsonNode.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(String.valueOf(r.getBody())).isTrue();
        return r.getBody().path("processInstanceId").asText();
    }

    private Path hostDir(String host, String name) {
        return root.resolve(host).resolve("state").resolve(name);
    }

    private QmpClient tools(String name) throws Exception {
        return QmpClient.connect(hostDir("a", name).resolve("qmp-tools.sock"), Duration.ofSeconds(10));
    }

    private static void awaitMirrorJobs(QmpClient qmp, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (SourceSide.mirrorJobs(qmp).size() < count) {
            assertThat(System.nanoTime()).as("mirror jobs started in time").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Through the engine REST API: an execution of the instance waits at that activity. */
    private void awaitActivity(String id, String activityId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode executions = api().getForObject("/engine-rest/execution?processInstanceId=" + id
                    + "&activityId=" + activityId, JsonNode.class);
            if (executions != null && executions.isArray() && !executions.isEmpty()) {
                return;
            }
            assertThat(System.nanoTime()).as("reached %s (%s)", activityId, status(id)).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** GET /api/migrations/{id} until it has an outcome. */
    private void awaitOutcome(String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (status(id).path("outcome").isNull() || status(id).path("outcome").isMissingNode()) {
            if (System.nanoTime() > deadline) {
                JsonNode incidents = api().getForObject("/engine-rest/incident?processInstanceId=" + id,
                        JsonNode.class);
                throw new AssertionError("migration " + id + " did not end in " + timeout + ": " + status(id)
                        + "; incidents: " + incidents + "; application log: " + tail(root.resolve("app-" + starts + ".log")));
            }
            Thread.sleep(250);
        }
    }

    private JsonNode status(String id) {
        return api().getForObject("/api/migrations/" + id, JsonNode.class);
    }
}
