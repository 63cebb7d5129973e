package io.nbdflow.testsupport;

import io.nbdflow.NbdflowApplication;

import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application as a separate JVM, started exactly as in production (its main class, arguments
 * for the configuration), so that a test can kill it or let it exit without taking the test along.
 */
public final class ApplicationJvm {
    private ApplicationJvm() {
    }

    /** Starts it in {@code workDir} (no config/ of the developer's working directory applies), output to {@code log}. */
    public static Process start(Path workDir, List<String> arguments, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // an empty class path entry means the working directory: drop those (surefire's path has one),
        // else the project's own processes/ folder is deployed a second time
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.isBlank())
                // nor the test classes: their resources would start a second engine on the first REST call
                .filter(e -> !Path.of(e).endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", classPath,
                NbdflowApplication.class.getName()));
        command.addAll(arguments);
        return new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    /**
     * Waits until it answers /actuator/health and its engine REST API has started (its first call is
     * slow: not while a mirror races). Fails with the log if it exits or takes longer than 3 minutes.
     */
    public static void awaitUp(Process app, Path log, TestRestTemplate anonymous, TestRestTemplate api)
            throws InterruptedException {
        Wait.every(Duration.ofMillis(250)).explaining(() -> "its log: " + tail(log))
                .until("application up in time", Duration.ofSeconds(180), () -> {
                    assertThat(app.isAlive()).as("application running; its log: %s", tail(log)).isTrue();
                    try {
                        if (anonymous.getForEntity("/actuator/health", String.class).getStatusCode() == HttpStatus.OK) {
                            assertThat(api.getForEntity("/engine-rest/engine", String.class).getStatusCode())
                                    .isEqualTo(HttpStatus.OK);
                            return true;
                        }
                    } catch (RuntimeException notYet) {
                        // not listening yet
                    }
                    return false;
                });
    }

    /** The causes, then the end of the log: a failed start ends in a long stack trace. */
    public static String tail(Path log) {
        try {
            List<String> causes = Files.readAllLines(log).stream()
                    .filter(l -> l.contains("Caused by") || l.contains(" ERROR ") || l.startsWith("Description")
                            || l.contains("Reason:"))
                    .limit(40).toList();
            String text = Files.readString(log);
            return String.join("\n", causes) + "\n...\n" + text.substring(Math.max(0, text.length() - 1500));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
