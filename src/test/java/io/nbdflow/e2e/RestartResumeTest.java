package io.nbdflow.e2e;

import io.nbdflow.NbdflowApplication;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.QemuReaper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static io.nbdflow.e2e.MigrationTestBase.awaitMirrorJobs;
import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application goes away in the middle of a migration while QEMU carries on; a new
 * application on the same database and folders picks the migration up and completes it.
 * Each test builds its contexts by hand (H2 file database below its own root, as
 * DomainRestartTest does), so that a second context sees what the first one left.
 */
class RestartResumeTest {
    private Path root;
    private RestartedApplication app;
    private ConfigurableApplicationContext context;

    @BeforeEach
    void newWorld() {
        root = NbdflowTestContext.newRoot();
        // an engine name of its own: other contexts of this JVM (Spring's test cache) hold engines too
        app = new RestartedApplication(root, root.getFileName().toString(), this::api,
                () -> "(in this JVM's output)");
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
        Path vda = app.image("vda", 256 * MiB, 64 * MiB);
        Path vdb = app.image("vdb", 64 * MiB, 16 * MiB);
        app.startDomain(name, vda, vdb);
        long sourcePid = app.sourcePid(name);

        String id = app.migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));
        app.awaitActivity(id, Bpmn.WAIT_STEADY_STATE, Duration.ofSeconds(60));
        try (QmpClient qmp = app.tools(name)) {
            awaitMirrorJobs(qmp, 2);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirrors still copying").anyMatch(j -> !j.ready());
        }

        context.close(); // the application goes; QEMU keeps mirroring
        context = null;
        try (QmpClient qmp = app.tools(name)) {
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror jobs outlive the application").hasSize(2)
                    .allMatch(j -> j.error() == null && !j.status().equals("concluded"));
        }

        context = start();
        app.awaitEnd(id, Duration.ofSeconds(180));
        app.assertMigrated(name, id, sourcePid, Map.of("vda", vda, "vdb", vdb));
    }

    @Test
    void aPendingApprovalSurvivesTheRestart() throws Exception {
        String name = "rr-approve";
        context = start();
        Path vda = app.image("vda", 256 * MiB, 64 * MiB);
        app.startDomain(name, vda);
        long sourcePid = app.sourcePid(name);

        String id = app.migrateAwaitingApproval(name, Duration.ofSeconds(120));

        context.close();
        context = null;
        app.assertSourceWaitsInSync(name, sourcePid);

        context = start();
        app.approve(id); // the task is still there after the restart
        app.awaitEnd(id, Duration.ofSeconds(180));
        app.assertMigrated(name, id, sourcePid, Map.of("vda", vda));
    }

    /** The application as it really starts: command-line arguments override application.yaml. */
    private ConfigurableApplicationContext start() {
        String db = "jdbc:h2:file:" + root.resolve("db/nbdflow") + ";DB_CLOSE_ON_EXIT=FALSE";
        return new SpringApplicationBuilder(NbdflowApplication.class)
                .run(app.arguments(db, 0).toArray(String[]::new));
    }

    /** Requests as the engine user to the context running now. */
    private TestRestTemplate api() {
        String port = context.getEnvironment().getProperty("local.server.port");
        return new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port),
                NbdflowTestContext.USER, NbdflowTestContext.PASSWORD);
    }
}
