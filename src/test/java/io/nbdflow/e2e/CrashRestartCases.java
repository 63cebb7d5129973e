package io.nbdflow.e2e;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.ApplicationJvm;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.nbdflow.e2e.MigrationTestBase.awaitMirrorJobs;
import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application itself dies (SIGKILL, no shutdown hook, no clean close of the database) in the
 * middle of a migration and is started again on the same H2 file database and folders. QEMU keeps
 * mirroring meanwhile; the new application picks the migration up and completes it by itself.
 * The application runs as a separate JVM, exactly as it starts in production, so that it can be
 * killed without taking the test with it. Here the kill while the mirrors copy;
 * {@link CrashRestartTest} adds other moments on this machine's hosts, {@link SshCrashRestartTest}
 * runs this one over SSH.
 */
abstract class CrashRestartCases {
    Path root;
    RestartedApplication app;
    private List<String> arguments;
    private Process jvm;
    private int port;
    private int starts;

    @BeforeEach
    void newWorld() throws IOException {
        root = NbdflowTestContext.newRoot();
        port = freePort();
        // the engine as in production: "default", the one the plain /engine-rest/... paths look for
        app = new RestartedApplication(root, "default", this::api, () -> ApplicationJvm.tail(log()), hosting());
        arguments = app.arguments("jdbc:h2:file:" + root.resolve("db/nbdflow") + ";WRITE_DELAY=0", // as application.yaml
                port);
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        try {
            killApplication();
        } finally {
            hosting().removeHostFolders(root);
            QemuReaper.killAllBelow(root);
            NbdflowTestContext.deleteTree(root);
        }
    }

    /** Where the application's hosts are: this machine's; a subclass may put them on the test network. */
    RestartedApplication.Hosting hosting() {
        return RestartedApplication.Hosting.LOCAL;
    }

    @Test
    void theApplicationKilledWhileTheMirrorsCopyCompletesAfterItsRestart() throws Exception {
        String name = "cr-mirror";
        startApplication();
        Path vda = app.image("vda", 256 * MiB, 96 * MiB);
        app.startDomain(name, vda);
        long sourcePid = app.sourcePid(name);

        // 96 MiB at 8 MiB/s: the mirror copies for ~12 s, long enough to kill in the middle of it
        String id = app.migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 8));
        try (QmpClient qmp = app.tools(name)) {
            awaitMirrorJobs(qmp, 1);
            killApplication();
            List<BlockJob> jobs = SourceSide.mirrorJobs(qmp);
            assertThat(jobs).as("QEMU still mirroring after the kill").hasSize(1);
            assertThat(jobs.get(0).ready()).as("mirror not yet in sync when killed: %s", jobs).isFalse();
        }

        startApplication();
        app.awaitEnd(id, Duration.ofSeconds(120));
        app.assertMigrated(name, id, sourcePid, Map.of("vda", vda));
    }

    // ---- the application, as a separate JVM

    void startApplication() throws Exception {
        starts++;
        jvm = ApplicationJvm.start(root, arguments, log());
        ApplicationJvm.awaitUp(jvm, log(), anonymous(), api());
    }

    /** SIGKILL: no shutdown hook, no watcher clean-up, the database as it was on disk. */
    void killApplication() throws InterruptedException {
        if (jvm != null) {
            jvm.destroyForcibly();
            assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).as("application gone").isTrue();
            jvm = null;
        }
    }

    /** The log of the latest start. */
    private Path log() {
        return root.resolve("app-" + starts + ".log");
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
}
