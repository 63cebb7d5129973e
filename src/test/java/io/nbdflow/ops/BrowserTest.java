package io.nbdflow.ops;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.SpringQemuTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cockpit and Tasklist in a real (headless) browser: tools/browser/run.sh logs in, finds the
 * Storage migration process in Cockpit and its start form in Tasklist, and takes a screenshot of
 * each into the build folder (e.g. target/screenshots). The web apps address the engine by the name
 * "default", so this context keeps that name (as the end-to-end test does).
 */
@TestPropertySource(properties = {"camunda.bpm.generate-unique-process-engine-name=false",
        "camunda.bpm.process-engine-name=default"})
class BrowserTest extends SpringQemuTest {

    private static final long MIN_PNG_BYTES = 20_000;

    @LocalServerPort
    int port;

    @Test
    void cockpitShowsTheProcessAndTasklistItsStartForm() throws Exception {
        // something for Cockpit to know about: one migration, refused (there is no such domain)
        // (started through the engine: the API answers 404 for an unknown domain before starting anything)
        ResponseEntity<JsonNode> started = api().postForEntity(
                engineRest() + "/process-definition/key/storageMigration/start",
                Map.of("variables", Map.of("domain", Map.of("value", "browser-nope", "type", "String"),
                        "destinationHost", Map.of("value", "host-b", "type", "String"))), JsonNode.class);
        assertThat(started.getStatusCode()).as(String.valueOf(started.getBody())).isEqualTo(HttpStatus.OK);
        awaitEnd(started.getBody().path("id").asText(), Duration.ofSeconds(60));

        Path out = buildDir().resolve("screenshots");
        Path cockpit = out.resolve("cockpit.png");
        Path startForm = out.resolve("tasklist-start-form.png");
        Files.deleteIfExists(cockpit);
        Files.deleteIfExists(startForm);
        Files.deleteIfExists(out.resolve("failure.png"));

        ProcessBuilder builder = new ProcessBuilder(List.of("sh", "tools/browser/run.sh", "http://localhost:" + port,
                NbdflowTestContext.USER, NbdflowTestContext.PASSWORD, out.toString()))
                .directory(projectRoot().toFile())
                .redirectErrorStream(true);
        // generous waits: the first load of a web app is slow on a busy machine (2 cores, parallel tests)
        builder.environment().put("CHECK_TIMEOUT_MS", "180000");
        Process check = builder.start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(check.getInputStream()));
        try {
            // the first run may install playwright-core (npm ci) and Chromium (apt-get)
            assertThat(check.waitFor(10, TimeUnit.MINUTES)).as("tools/browser/run.sh finished within 10 minutes").isTrue();
            String text = output.join();
            System.out.print(text);
            assertThat(check.exitValue()).as("tools/browser/run.sh exit code (see %s/failure.png); its output:%n%s",
                    out, text).isZero();
            assertThat(text).contains("start form fields: Domain | Destination host").contains("cockpit-check: OK");
        } finally {
            check.descendants().forEach(ProcessHandle::destroyForcibly);
            check.destroyForcibly();
        }
        for (Path png : List.of(cockpit, startForm)) {
            assertThat(png).exists();
            assertThat(Files.size(png)).as(png + " size").isGreaterThan(MIN_PNG_BYTES);
            assertThat(pngSize(png)).as(png + " width x height").isEqualTo("1440x1050");
        }
    }

    /** "WxH" from the PNG header (signature, then the IHDR chunk). */
    private static String pngSize(Path png) throws IOException {
        byte[] head = new byte[24];
        try (InputStream in = Files.newInputStream(png)) {
            assertThat(in.readNBytes(head, 0, 24)).isEqualTo(24);
        }
        assertThat(new String(head, 1, 3, StandardCharsets.US_ASCII)).as(png + " is a PNG").isEqualTo("PNG");
        ByteBuffer b = ByteBuffer.wrap(head);
        return b.getInt(16) + "x" + b.getInt(20);
    }

    /** The build folder (target, or -DbuildDir): the parent of the test classes. */
    private static Path buildDir() throws URISyntaxException {
        return Path.of(BrowserTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    }

    /** Maven's basedir, else the working directory (surefire runs in the project root). */
    private static Path projectRoot() {
        String basedir = System.getProperty("basedir");
        return (basedir == null ? Path.of("") : Path.of(basedir)).toAbsolutePath();
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }
}
