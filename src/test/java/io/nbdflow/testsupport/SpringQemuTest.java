package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.nbdflow.NbdflowApplication;
import io.nbdflow.host.ExternalCommand;
import io.nbdflow.host.Host;
import io.nbdflow.host.Hosts;

import org.camunda.bpm.engine.ProcessEngine;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.test.context.ContextConfiguration;

/**
 * Base for tests of the whole application (HTTP, engine, database, real QEMU).
 * <p>
 * Extend it and use {@link #api()} for authenticated calls, {@link #anonymous()} for none:
 * <pre>
 * class MyFlowTest extends SpringQemuTest {
 *     &#64;TempDir Path images;                    // or hostA().storageDir()
 *     &#64;Test void runs() {
 *         Path vda = TestImages.create(images, "vda.qcow2", "qcow2", 16 * TestImages.MiB);
 *         api().put("/api/domains/t1", Map.of(...));
 *         ResponseEntity&lt;String&gt; r = api().postForEntity(engineRest() + "/process-definition/key/...", ...);
 *     }
 * }
 * </pre>
 * What every subclass gets (see {@link NbdflowTestContext}): a server on a random port, its own
 * in-memory H2 database, engine user test/test, hosts host-a (127.0.0.1) and host-b
 * (127.0.0.2) with state and storage folders below {@link #testRoot()} in /tmp.
 * <p>
 * Subclasses share one application context (Spring caches it), and so one database: give
 * every domain a unique name. After each test, every QEMU below the test root is killed.
 * <p>
 * The engine has a unique name (so that several contexts can live in one JVM): address the
 * engine REST API as {@link #engineRest()} = /engine-rest/engine/&lt;name&gt;, because Camunda's REST
 * resources look the default engine up by the name "default" (plain /engine-rest/... answers
 * "No process engine available"). A test that sets camunda.bpm.process-engine-name=default keeps
 * that name instead (see {@link NbdflowTestContext}).
 * <p>
 * A wrong password makes the engine refuse that user for a while (login throttling): test bad
 * credentials with a user of your own, never with test/test. More than four wrong logins within a
 * minute from one address hold off every login from it (429): a test that needs more sends them
 * from a client address of its own (see io.nbdflow.web.LoginThrottleTest).
 * <p>
 * test/test is in camunda-admin and may do everything; {@link TestUsers} makes users of the other
 * roles, or of none.
 */
@SpringBootTest(classes = NbdflowApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ContextConfiguration(initializers = NbdflowTestContext.class)
public abstract class SpringQemuTest {

    @Autowired
    protected TestRestTemplate restTemplate;

    @Autowired
    protected Hosts hosts;

    @Autowired
    protected ProcessEngine processEngine;

    @Value("${" + NbdflowTestContext.ROOT_PROPERTY + "}")
    private Path testRoot;

    @Value("${" + NbdflowTestContext.SHARED_PROPERTY + "}")
    private Path sharedStorage;

    /** Requests as the engine user test/test. */
    public TestRestTemplate api() {
        return restTemplate.withBasicAuth(NbdflowTestContext.USER, NbdflowTestContext.PASSWORD);
    }

    /** Requests without credentials. */
    protected TestRestTemplate anonymous() {
        return restTemplate;
    }

    /** The engine REST API of this context's engine, e.g. engineRest() + "/process-definition". */
    protected String engineRest() {
        return "/engine-rest/engine/" + processEngine.getName();
    }

    public Host hostA() {
        return hosts.get("host-a");
    }

    public Host hostB() {
        return hosts.get("host-b");
    }

    public Host hostC() {
        return hosts.get("host-c");
    }

    /**
     * A path of that host as this test sees it, for the test's own setup and checks: the path itself
     * on this machine's hosts; on a host reached over SSH (see {@link SshTestContext}) the same file
     * through that host's private root. nbdflow itself never sees these paths.
     */
    public Path seen(Host host, Path onHost) {
        if (!host.isRemote()) {
            return onHost;
        }
        TestHost testHost = SshTestContext.testHost(host.address());
        if (testHost == null) {
            throw new IllegalStateException(host.name() + " is no test host");
        }
        return testHost.outside(onHost);
    }

    /**
     * The folder on that host for the disk images a test defines domains with (the image-dir named
     * {@link NbdflowTestContext#SOURCE_IMAGES}), created if missing; its path on the host.
     */
    public Path sourceImages(Host host) {
        Path dir = host.imageDirs().stream()
                .filter(d -> d.getFileName().toString().equals(NbdflowTestContext.SOURCE_IMAGES)).findFirst()
                .orElseThrow(() -> new IllegalStateException(host.name() + " has no folder of source images: "
                        + host.imageDirs()));
        createDirectories(seen(host, dir));
        return dir;
    }

    /**
     * Storage every host sees at this same path and may take disks from, as an NFS share: for a
     * disk that stays where it is during a migration, or a backing file both hosts read. Created if
     * missing; use {@link #seen} with any host to reach it.
     */
    public Path sharedStorage() {
        createDirectories(seen(hostA(), sharedStorage));
        return sharedStorage;
    }

    /**
     * Runs a program on that host as a test's own tool (qemu-img, qemu-io...): here for this
     * machine's hosts, inside the test host for one reached over SSH, so that paths in its
     * arguments (and those written in images, such as backing files) are the host's paths.
     */
    public TestNetwork.Sh.Result runOn(Host host, String... argv) {
        if (!host.isRemote()) {
            ExternalCommand.Result r = ExternalCommand.run(List.of(argv), Duration.ofMinutes(2));
            return new TestNetwork.Sh.Result(r.exitCode(), r.stdout(), r.stderr());
        }
        TestHost testHost = SshTestContext.testHost(host.address());
        if (testHost == null) {
            throw new IllegalStateException(host.name() + " is no test host");
        }
        return testHost.exec(argv);
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This context's folder below /tmp; the hosts' folders lie in it (for hosts on this machine). */
    protected Path testRoot() {
        return testRoot;
    }

    // ---- process instances of this context's engine

    /** Waits until the instance has ended; on timeout fails with its incidents and variables. */
    public void awaitEnd(String id, Duration timeout) throws InterruptedException {
        Wait.explaining(() -> "incidents: " + processEngine.getRuntimeService().createIncidentQuery()
                        .processInstanceId(id).list().stream()
                        .map(i -> i.getActivityId() + ": " + i.getIncidentMessage()).toList()
                        + "; variables: " + variables(id))
                .until("migration " + id + " ended", timeout, () -> ended(id));
    }

    /** Whether the instance has ended (the history knows it as finished). */
    public boolean ended(String id) {
        return processEngine.getHistoryService().createHistoricProcessInstanceQuery().processInstanceId(id)
                .finished().count() > 0;
    }

    /** The process variables of that instance, running or ended (from the history). */
    public Map<String, Object> variables(String id) {
        Map<String, Object> vars = new HashMap<>();
        processEngine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(id).list()
                .forEach(v -> vars.put(v.getName(), v.getValue()));
        return vars;
    }

    @AfterEach
    void killLeftoverQemus() {
        QemuReaper.killAllBelow(testRoot);
        for (Host host : hosts.all()) {
            if (host.isRemote()) {
                QemuReaper.killAllBelow(seen(host, host.stateDir()));
            }
        }
    }
}
