package io.nbdflow.modeler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs tools/lint/run.sh (bpmnlint on processes/*.bpmn, JSON-schema validation of the element
 * templates) so that `mvn test` fails on a lint error. The first run installs the pinned npm
 * packages (npm ci) into tools/lint/node_modules.
 */
class LintTest {

    @Test
    void bpmnLintAndElementTemplateValidationPass() throws IOException, InterruptedException {
        Process lint = new ProcessBuilder(List.of("sh", "tools/lint/run.sh"))
                .directory(ProjectFiles.root().toFile())
                .redirectErrorStream(true)
                .start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        try {
            assertThat(lint.waitFor(10, TimeUnit.MINUTES)).as("tools/lint/run.sh finished within 10 minutes").isTrue();
            String text = output.join();
            assertThat(lint.exitValue()).as("tools/lint/run.sh exit code; its output:%n%s", text).isZero();
            assertThat(text).contains("element templates: ").contains("valid");
        } finally {
            lint.descendants().forEach(ProcessHandle::destroyForcibly);
            lint.destroyForcibly();
        }
    }
}
