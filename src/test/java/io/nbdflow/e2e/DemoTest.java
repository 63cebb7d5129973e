package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.ApplicationJvm;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./nbdflow demo} is the application with {@code demo.run=true}: on an empty database it
 * migrates a VM with two disks from host-a to host-b, draws the progress and exits 0. Then the
 * application started again on that database (as {@code ./nbdflow serve} does) shows the finished
 * instance to Cockpit through the engine's history.
 */
class DemoTest {
    private final Path root = NbdflowTestContext.newRoot();
    private Process app;

    @AfterEach
    void cleanUp() throws InterruptedException {
        try {
            if (app != null) {
                app.destroyForcibly();
                app.waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            QemuReaper.killAllBelow(root);
            NbdflowTestContext.deleteTree(root);
        }
    }

    @Test
    void theDemoMigratesItsVmExitsZeroAndLeavesTheInstanceForCockpit() throws Exception {
        int port = freePort();
        List<String> arguments = new ArrayList<>();
        Map<String, String> properties = NbdflowTestContext.properties(root,
                "jdbc:h2:file:" + root.resolve("db/nbdflow") + ";WRITE_DELAY=0");
        properties.put("camunda.bpm.generate-unique-process-engine-name", "false");
        properties.put("server.port", Integer.toString(port));
        properties.forEach((key, value) -> arguments.add("--" + key + "=" + value));
        List<String> demo = new ArrayList<>(arguments);
        demo.add("--demo.run=true");

        Path log = root.resolve("demo.log");
        app = ApplicationJvm.start(root, demo, log);
        assertThat(app.waitFor(5, TimeUnit.MINUTES)).as("demo ended; %s", ApplicationJvm.tail(log)).isTrue();
        String out = Files.readString(log);
        assertThat(app.exitValue()).as("demo exit status; %s", ApplicationJvm.tail(log)).isZero();
        assertThat(out).contains("outcome:      migrated").contains("[##############################]")
                .contains("demo now on host-b");
        assertThat(out).as("progress in a log (not a terminal) has no escape codes").doesNotContain("\033[");
        assertThat(out).as("the demo's own login, printed").containsPattern("user demo, password [A-Za-z0-9_-]{16}");

        // what it migrated is really there, and it left no QEMU running
        Path images = root.resolve("a/images");
        Path copies = root.resolve("b/images");
        assertThat(TestImages.compare(images.resolve("demo-src-vda.qcow2"), copies.resolve("demo-vda.qcow2"))).isTrue();
        assertThat(TestImages.compare(images.resolve("demo-src-vdb.qcow2"), copies.resolve("demo-vdb.qcow2"))).isTrue();
        assertThat(QemuReaper.killAllBelow(root)).as("QEMUs the demo left running").isZero();

        // ./nbdflow serve on the same database: the finished migration is in the history Cockpit reads
        Path serveLog = root.resolve("serve.log");
        app = ApplicationJvm.start(root, arguments, serveLog);
        TestRestTemplate api = new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port),
                NbdflowTestContext.USER, NbdflowTestContext.PASSWORD);
        ApplicationJvm.awaitUp(app, serveLog,
                new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port)), api);
        JsonNode history = api.getForObject("/engine-rest/history/process-instance?processDefinitionKey="
                + Bpmn.PROCESS_KEY + "&finished=true", JsonNode.class);
        assertThat(history).hasSize(1);
        JsonNode outcome = api.getForObject("/engine-rest/history/variable-instance?variableName=" + Vars.OUTCOME
                + "&processInstanceId=" + history.get(0).path("id").asText(), JsonNode.class);
        assertThat(outcome.get(0).path("value").asText()).isEqualTo(Vars.OUTCOME_MIGRATED);
        // ... but no account the demo made: a real server never inherits the demo's login
        assertThat(api.getForObject("/engine-rest/user?id=demo", JsonNode.class)).as("users named demo").isEmpty();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
