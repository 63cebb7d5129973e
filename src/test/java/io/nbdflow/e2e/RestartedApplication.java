package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.SshTestContext;
import io.nbdflow.testsupport.TestNetwork;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application of a test that stops and starts it itself (in-process or as a separate JVM) on
 * one root folder and database, driven from outside through its HTTP APIs only. The application
 * changes with every restart: each call asks the supplier for the template of the one running now.
 */
final class RestartedApplication {

    /** Where the application's hosts are, and how the test reaches their files. */
    enum Hosting {
        /** This machine: host-a at 127.0.0.1, host-b at -Dnbdflow.test.address-b, their folders below root. */
        LOCAL {
            @Override
            Map<String, String> properties(Path root, String datasourceUrl) {
                return NbdflowTestContext.properties(root, datasourceUrl);
            }

            @Override
            Path hostFolder(Path root, String host) {
                return root.resolve(host);
            }

            @Override
            Path sourceImages(Path root) {
                return root.resolve(NbdflowTestContext.SOURCE_IMAGES);
            }

            @Override
            Path seen(String host, Path onHost) {
                return onHost;
            }

            @Override
            InetAddress hostB() throws Exception {
                return InetAddress.getByName(System.getProperty("nbdflow.test.address-b", "127.0.0.2"));
            }

            @Override
            void removeHostFolders(Path root) {
                // below root: they go with it
            }

            @Override
            List<String> ourListenersOnHostB(Path root) throws Exception {
                // other test runs on this machine share the port range: only those naming root are ours
                return MigrationTestBase.listeners(hostB().getHostAddress(), root);
            }
        },
        /** The test network's hosts a and b, reached over SSH (see {@link SshTestContext}). */
        SSH {
            @Override
            Map<String, String> properties(Path root, String datasourceUrl) {
                return SshTestContext.properties(root, datasourceUrl);
            }

            @Override
            Path hostFolder(Path root, String host) {
                return SshTestContext.hostFolder(root, host);
            }

            @Override
            Path sourceImages(Path root) {
                return hostFolder(root, "a").resolve(NbdflowTestContext.SOURCE_IMAGES);
            }

            @Override
            Path seen(String host, Path onHost) {
                return TestNetwork.shared().host(host).outside(onHost);
            }

            @Override
            InetAddress hostB() {
                return TestNetwork.shared().host("b").address();
            }

            @Override
            void removeHostFolders(Path root) {
                SshTestContext.removeHostFolders(root);
            }

            @Override
            List<String> ourListenersOnHostB(Path root) {
                // host-b's network is this run's own: every listener in the range there is ours
                String ss = TestNetwork.shared().host("b").exec("ss", "-Htln").out();
                return ss.lines().filter(l -> IntStream.rangeClosed(49152, 49215)
                        .anyMatch(p -> l.contains(":" + p + " "))).toList();
            }
        };

        abstract Map<String, String> properties(Path root, String datasourceUrl);

        /** The folder of that host ("a" or "b") holding its state and storage folders, its path there. */
        abstract Path hostFolder(Path root, String host);

        /** host-a's image-dir for the disks a test defines domains with, its path there. */
        abstract Path sourceImages(Path root);

        /** A path of that host as this test sees it. */
        abstract Path seen(String host, Path onHost);

        abstract InetAddress hostB() throws Exception;

        /** Kills the QEMUs in the hosts' folders of that root and removes the folders, where root's own removal does not. */
        abstract void removeHostFolders(Path root);

        /** The listeners of this application's QEMUs in the port range on host-b, as "address:port ...". */
        abstract List<String> ourListenersOnHostB(Path root) throws Exception;
    }

    private final Path root;
    private final String engineName;
    private final Supplier<TestRestTemplate> api;
    private final Supplier<String> log;
    private final Hosting hosting;

    /**
     * @param engineName the engine's name, set by {@link #arguments}: several applications in one JVM need
     *                   names of their own, and the engine REST API is addressed by it
     * @param api        requests as the engine user to the application running now
     * @param log        the running application's log, for failure messages
     */
    RestartedApplication(Path root, String engineName, Supplier<TestRestTemplate> api, Supplier<String> log) {
        this(root, engineName, api, log, Hosting.LOCAL);
    }

    /** @param hosting where host-a and host-b are: this machine or the test network */
    RestartedApplication(Path root, String engineName, Supplier<TestRestTemplate> api, Supplier<String> log,
                         Hosting hosting) {
        this.root = root;
        this.engineName = engineName;
        this.api = api;
        this.log = log;
        this.hosting = hosting;
    }

    /** Command-line arguments ("--key=value") for an application on this root, that database and port (0: any). */
    List<String> arguments(String datasourceUrl, int port) {
        Map<String, String> properties = hosting.properties(root, datasourceUrl);
        properties.put("camunda.bpm.generate-unique-process-engine-name", "false");
        properties.put("camunda.bpm.process-engine-name", engineName);
        properties.put("server.port", Integer.toString(port));
        List<String> arguments = new ArrayList<>();
        properties.forEach((key, value) -> arguments.add("--" + key + "=" + value));
        return arguments;
    }

    // ---- domains and migrations

    /**
     * A qcow2 image of that size in host-a's folder of source images whose first `written` bytes
     * are 0x11; returns its path on host-a.
     */
    Path image(String target, long size, long written) throws Exception {
        Path dir = hosting.sourceImages(root);
        Files.createDirectories(hosting.seen("a", dir));
        TestImages.create(hosting.seen("a", dir), target + ".qcow2", "qcow2", size);
        Path file = dir.resolve(target + ".qcow2");
        TestImages.write(hosting.seen("a", file), "qcow2", 0x11, 0, written);
        return file;
    }

    /** Defines and starts a domain (128 MiB) on host-a with those qcow2 disks, each named after its target. */
    void startDomain(String name, Path... disks) {
        List<Map<String, Object>> list = Stream.of(disks).map(d -> Map.<String, Object>of(
                "target", d.getFileName().toString().replace(".qcow2", ""), "file", d.toString(),
                "format", "qcow2")).toList();
        ResponseEntity<String> r = api.get().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks", list)),
                String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
        ResponseEntity<String> start = api.get().postForEntity("/api/domains/" + name + "/start", null, String.class);
        assertThat(start.getStatusCode()).as(start.getBody()).isEqualTo(HttpStatus.OK);
    }

    /** The pid of the domain's QEMU on host-a. */
    long sourcePid(String name) {
        return QemuProcesses.readPid(hosting.seen("a", hostDir("a", name).resolve(QemuInstance.PID_FILE)))
                .orElseThrow();
    }

    /**
     * Starts a migration through POST /api/domains/{name}/migrate; returns its process instance id.
     * The source host keeps its images (for the comparison with the copies) unless the body says otherwise.
     */
    String migrate(String name, Map<String, Object> body) {
        ResponseEntity<JsonNode> r = api.get().postForEntity("/api/domains/" + name + "/migrate",
                MigrationTestBase.keepingSource(body), JsonNode.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(String.valueOf(r.getBody())).isTrue();
        return r.getBody().path("processInstanceId").asText();
    }

    /** Starts a migration to host-b (16 MiB/s) that asks for approval; returns its id once it waits for it. */
    String migrateAwaitingApproval(String name, Duration timeout) throws InterruptedException {
        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16,
                "approveSwitchover", true));
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, timeout);
        return id;
    }

    /** Completes the migration's one open task, the switchover approval, through the engine REST API. */
    void approve(String id) {
        JsonNode tasks = api.get().getForObject(engineRest() + "/task?processInstanceId=" + id, JsonNode.class);
        assertThat(tasks).as("approval task").hasSize(1);
        assertThat(tasks.get(0).path("taskDefinitionKey").asText()).isEqualTo(Bpmn.APPROVE_SWITCHOVER);
        ResponseEntity<String> complete = api.get().postForEntity(
                engineRest() + "/task/" + tasks.get(0).path("id").asText() + "/complete",
                MigrationTestBase.switchoverDecision(true), String.class);
        assertThat(complete.getStatusCode()).as(complete.getBody()).isEqualTo(HttpStatus.NO_CONTENT);
    }

    /** The domain's folder in a host's state folder ("a" or "b"), its path on that host. */
    private Path hostDir(String host, String name) {
        return hosting.hostFolder(root, host).resolve("state").resolve(name);
    }

    /** The monitor left free for tools (qmp-tools.sock) of the domain's QEMU on host-a. */
    QmpClient tools(String name) throws Exception {
        return QmpClient.connect(hosting.seen("a", hostDir("a", name).resolve("qmp-tools.sock")),
                Duration.ofSeconds(10));
    }

    // ---- waits

    /** Through the engine REST API: an execution of the instance waits at that activity. */
    void awaitActivity(String id, String activityId, Duration timeout) throws InterruptedException {
        Wait.explaining(() -> "status: " + status(id)).until("reached " + activityId, timeout,
                () -> api.get().getForObject(engineRest() + "/execution?processInstanceId=" + id
                        + "&activityId=" + activityId, JsonNode.class),
                executions -> executions != null && executions.isArray() && !executions.isEmpty());
    }

    /** GET /api/migrations/{id} until the instance has ended. */
    void awaitEnd(String id, Duration timeout) throws InterruptedException {
        Wait.every(Duration.ofMillis(250))
                .explaining(() -> "incidents: " + api.get().getForObject(engineRest() + "/incident?processInstanceId="
                        + id, JsonNode.class) + "; application log: " + log.get())
                .until("migration " + id + " ended", timeout, () -> status(id),
                        status -> status.path("phase").asText().equals("ended"));
    }

    private JsonNode status(String id) {
        return api.get().getForObject("/api/migrations/" + id, JsonNode.class);
    }

    /** While the application is away from an approval: the source QEMU runs on, its one mirror in sync. */
    void assertSourceWaitsInSync(String name, long sourcePid) throws Exception {
        assertThat(QemuProcesses.isLiveQemu(sourcePid)).as("source QEMU").isTrue();
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors in sync").hasSize(1).allMatch(BlockJob::ready);
        }
    }

    // ---- the outcome

    /**
     * Migrated: the domain runs on host-b, the source QEMU and its folder on host-a are gone, no port
     * of the range listens on host-b, and each copy (target → source image) equals its source once stopped.
     */
    void assertMigrated(String name, String id, long sourcePid, Map<String, Path> sources) throws Exception {
        JsonNode migration = status(id);
        assertThat(migration.path("outcome").asText()).as("migration %s", migration).isEqualTo(Vars.OUTCOME_MIGRATED);
        JsonNode domain = api.get().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        assertThat(QemuProcesses.isLiveQemu(sourcePid)).as("source QEMU gone").isFalse();
        assertThat(hosting.seen("a", hostDir("a", name))).doesNotExist();

        // the ports this migration took: numbers in the history, checked below with the whole range
        Map<String, JsonNode> variables = new HashMap<>();
        api.get().getForObject(engineRest() + "/history/variable-instance?processInstanceId=" + id, JsonNode.class)
                .forEach(v -> variables.put(v.path("name").asText(), v.path("value")));
        for (String variable : List.of(Vars.NBD_PORT, Vars.MIGRATION_PORT)) {
            JsonNode value = variables.get(variable);
            assertThat(value != null && value.isNumber()).as("%s a number in %s", variable, variables).isTrue();
        }
        // the whole range on this run's host-b address (-Dnbdflow.test.address-b keeps others off it)
        InetAddress hostB = hosting.hostB();
        List<Integer> listening = IntStream.rangeClosed(49152, 49215).filter(p -> Ports.isListening(hostB, p))
                .boxed().toList();
        assertThat(listening).as("ports listening on host-b").isEmpty();
        assertThat(hosting.ourListenersOnHostB(root)).as("our listeners on host-b").isEmpty();

        assertThat(api.get().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        for (Map.Entry<String, Path> disk : sources.entrySet()) {
            Path copy = hosting.seen("b", hosting.hostFolder(root, "b").resolve("images")
                    .resolve(name + "-" + disk.getKey() + ".qcow2"));
            assertThat(TestImages.compare(hosting.seen("a", disk.getValue()), copy))
                    .as(disk.getKey() + " copy identical").isTrue();
        }
    }

    /** The engine REST API of the application's engine, e.g. engineRest() + "/task". */
    private String engineRest() {
        return "/engine-rest/engine/" + engineName;
    }
}
