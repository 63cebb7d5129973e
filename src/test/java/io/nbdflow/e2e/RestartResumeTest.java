package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.NbdflowApplication;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.TestImages;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application goes away in the middle of a migration while QEMU carries on; a new
 * application on the same database and folders picks the migration up and completes it.
 * Each test builds its contexts by hand (H2 file database below its own root, as
 * DomainRestartTest does), so that a second context sees what the first one left.
 */
class RestartResumeTest {
    /** host-b's address in this run (see NbdflowTestContext: -Dnbdflow.test.address-b). */
    static final String HOST_B = System.getProperty("nbdflow.test.address-b", "127.0.0.2");

    private Path root;
    private String db;
    private ConfigurableApplicationContext context;

    @BeforeEach
    void newWorld() {
        root = NbdflowTestContext.newRoot();
        db = "jdbc:h2:file:" + root.resolve("db/nbdflow") + ";DB_CLOSE_ON_EXIT=FALSE";
    }

    @AfterEach
    void cleanUp() {
        try {
            if (context != null) {
                context.close();
            }
        } finally {
            QemuReaper.killAllBelow(root);
            NbdflowTestContext.deleteTree(root);
        }
    }

    @Test
    void aMirrorRunningWhileTheApplicationIsDownCompletesAfterTheRestart() throws Exception {
        String name = "rr-mirror";
        context = start();
        Path vda = image("vda", 256 * MiB, 64 * MiB);
        Path vdb = image("vdb", 64 * MiB, 16 * MiB);
        startDomain(name, vda, vdb);
        long sourcePid = QemuProcesses.readPid(hostDir("a", name).resolve(QemuInstance.PID_FILE)).orElseThrow();

        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));
        awaitActivity(id, "Task_WaitSteadyState", Duration.ofSeconds(60));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 2);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors still copying").anyMatch(j -> !j.ready());
        }

        context.close(); // the application goes; QEMU keeps mirroring
        context = null;
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror jobs outlive the application").hasSize(2)
                    .allMatch(j -> j.error() == null && !j.status().equals("concluded"));
        }

        context = start();
        awaitEnd(id, Duration.ofSeconds(180));
        assertMigrated(name, id, sourcePid, Map.of("vda", vda, "vdb", vdb));
    }

    @Test
    void aPendingApprovalSurvivesTheRestart() throws Exception {
        String name = "rr-approve";
        context = start();
        Path vda = image("vda", 256 * MiB, 64 * MiB);
        startDomain(name, vda);
        long sourcePid = QemuProcesses.readPid(hostDir("a", name).resolve(QemuInstance.PID_FILE)).orElseThrow();

        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16,
                "approveSwitchover", true));
        awaitActivity(id, "UserTask_ApproveSwitchover", Duration.ofSeconds(120));

        context.close();
        context = null;
        assertThat(QemuProcesses.isLiveQemu(sourcePid)).as("source QEMU").isTrue();
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors in sync").hasSize(1).allMatch(BlockJob::ready);
        }

        context = start();
        Task task = engine().getTaskService().createTaskQuery().processInstanceId(id).singleResult();
        assertThat(task).as("approval task after the restart").isNotNull();
        engine().getTaskService().complete(task.getId());
        awaitEnd(id, Duration.ofSeconds(180));
        assertMigrated(name, id, sourcePid, Map.of("vda", vda));
    }

    // ---- the outcome

    private void assertMigrated(String name, String id, long sourcePid, Map<String, Path> sources) throws Exception {
        Map<String, Object> vars = variables(id);
        assertThat(vars.get("outcome")).as("failureReason: %s", vars.get("failureReason")).isEqualTo("migrated");
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        assertThat(QemuProcesses.isLiveQemu(sourcePid)).as("source QEMU gone").isFalse();
        assertThat(hostDir("a", name)).doesNotExist();
        // other test runs on this machine share the port range: check this migration's ports and our QEMUs
        InetAddress hostB = InetAddress.getByName(HOST_B);
        for (String variable : List.of("nbdPort", "migrationPort")) {
            assertThat(vars.get(variable)).as(variable).isInstanceOf(Number.class);
            assertThat(Ports.isListening(hostB, ((Number) vars.get(variable)).intValue()))
                    .as("%s on host-b; listeners: %s", variable, NbdCutTest.listeners(HOST_B, null)).isFalse();
        }
        assertThat(NbdCutTest.listeners(HOST_B, root)).as("our listeners on host-b").isEmpty();

        assertThat(api().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        for (Map.Entry<String, Path> disk : sources.entrySet()) {
            Path copy = root.resolve("b/images").resolve(name + "-" + disk.getKey() + ".qcow2");
            assertThat(TestImages.compare(disk.getValue(), copy)).as(disk.getKey() + " copy identical").isTrue();
        }
    }

    // ---- the application, built by hand

    /** The application as it really starts: command-line arguments override application.yaml. */
    private ConfigurableApplicationContext start() {
        Stream<String> args = Stream.concat(Arrays.stream(NbdflowTestContext.propertyArray(root, db)),
                Stream.of("server.port=0"));
        return new SpringApplicationBuilder(NbdflowApplication.class)
                .run(args.map(a -> "--" + a).toArray(String[]::new));
    }

    private TestRestTemplate api() {
        String port = context.getEnvironment().getProperty("local.server.port");
        return new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port),
                NbdflowTestContext.USER, NbdflowTestContext.PASSWORD);
    }

    private ProcessEngine engine() {
        return context.getBean(ProcessEngine.class);
    }

    // ---- helpers

    private Path image(String target, long size, long written) throws Exception {
        Path dir = Files.createDirectories(root.resolve("src"));
        Path file = TestImages.create(dir, target + ".qcow2", "qcow2", size);
        TestImages.write(file, "qcow2", 0x11, 0, written);
        return file;
    }

    private void startDomain(String name, Path... disks) {
        List<Map<String, Object>> list = Stream.of(disks).map(d -> Map.<String, Object>of(
                "target", d.getFileName().toString().replace(".qcow2", ""), "file", d.toString(),
                "format", "qcow2")).toList();
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks", list)),
                String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
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

    private void awaitActivity(String id, String activityId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (engine().getRuntimeService().createExecutionQuery().processInstanceId(id)
                .activityId(activityId).count() == 0) {
            assertThat(System.nanoTime()).as("reached " + activityId + " (variables " + variables(id) + ")")
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private void awaitEnd(String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (engine().getHistoryService().createHistoricProcessInstanceQuery().processInstanceId(id)
                .finished().count() == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("migration " + id + " did not end in " + timeout + "; incidents: "
                        + engine().getRuntimeService().createIncidentQuery().processInstanceId(id).list()
                        .stream().map(i -> i.getActivityId() + ": " + i.getIncidentMessage()).toList());
            }
            Thread.sleep(100);
        }
    }

    private Map<String, Object> variables(String id) {
        Map<String, Object> vars = new HashMap<>();
        engine().getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(id).list()
                .forEach(v -> vars.put(v.getName(), v.getValue()));
        return vars;
    }
}
