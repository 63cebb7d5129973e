package io.nbdflow.domain;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.NbdflowApplication;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.TestImages;

import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/** A running domain survives an application restart: it is found again from its folder. */
class DomainRestartTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The application as it really starts: command-line arguments override application.yaml. */
    private static ConfigurableApplicationContext start(Path root, String db) {
        Stream<String> args = Stream.concat(Arrays.stream(NbdflowTestContext.propertyArray(root, db)),
                Stream.of("server.port=0"));
        return new SpringApplicationBuilder(NbdflowApplication.class).run(args.map(a -> "--" + a).toArray(String[]::new));
    }

    private static TestRestTemplate client(ConfigurableApplicationContext context) {
        String port = context.getEnvironment().getProperty("local.server.port");
        return new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port),
                NbdflowTestContext.USER, NbdflowTestContext.PASSWORD);
    }

    @Test
    void aRunningDomainIsFoundAgainAfterARestart() throws Exception {
        Path root = NbdflowTestContext.newRoot();
        String db = "jdbc:h2:file:" + root.resolve("db/nbdflow") + ";DB_CLOSE_ON_EXIT=FALSE";
        ConfigurableApplicationContext first = null;
        ConfigurableApplicationContext second = null;
        try {
            Path vda = TestImages.create(Files.createDirectories(root.resolve(NbdflowTestContext.SOURCE_IMAGES)),
                    "vda.qcow2", "qcow2", 16 * MiB);
            first = start(root, db);
            TestRestTemplate api = client(first);
            ResponseEntity<String> defined = api.exchange("/api/domains/survivor", HttpMethod.PUT, new HttpEntity<>(
                    Map.of("host", "host-a", "memoryMiB", 64, "vcpus", 1,
                            "disks", List.of(Map.of("target", "vda", "file", vda.toString(), "format", "qcow2")))),
                    String.class);
            assertThat(defined.getStatusCode()).isEqualTo(HttpStatus.OK);
            String uuid = JSON.readTree(defined.getBody()).get("uuid").asText();
            assertThat(api.postForEntity("/api/domains/survivor/start", null, String.class).getStatusCode())
                    .isEqualTo(HttpStatus.OK);
            Path pidFile = root.resolve("a/state/survivor").resolve(QemuInstance.PID_FILE);
            long pid = QemuProcesses.readPid(pidFile).orElseThrow();

            first.close(); // drops the monitor connections, never the QEMUs
            first = null;
            assertThat(QemuProcesses.isLiveQemu(pid)).isTrue();

            second = start(root, db);
            TestRestTemplate again = client(second);
            JsonNode found = JSON.readTree(again.getForEntity("/api/domains/survivor", String.class).getBody());
            assertThat(found.get("state").asText()).isEqualTo("running");
            assertThat(found.get("uuid").asText()).isEqualTo(uuid);
            assertThat(QemuProcesses.readPid(pidFile)).isEqualTo(OptionalLong.of(pid));

            ResponseEntity<String> stopped = again.postForEntity("/api/domains/survivor/stop", null, String.class);
            assertThat(stopped.getStatusCode()).isEqualTo(HttpStatus.OK);
            assertThat(JSON.readTree(stopped.getBody()).get("state").asText()).isEqualTo("shutoff");
            assertThat(QemuProcesses.isLiveQemu(pid)).isFalse();
            assertThat(pidFile.getParent()).doesNotExist();
        } finally {
            try {
                if (first != null) {
                    first.close();
                }
                if (second != null) {
                    second.close();
                }
            } finally {
                QemuReaper.killAllBelow(root);
                NbdflowTestContext.deleteTree(root);
            }
        }
    }
}
