package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Live progress, as an operator sees it: {@code ./nbdflow migrate ... --approve} starts a
 * bandwidth-limited migration through the API and draws its bars, while the test reads
 * GET /api/migrations/{id} itself and compares it with QEMU's own job offset.
 */
class ProgressTest extends MigrationTestBase {

    @Test
    void progressShowsBytesMovingDuringALimitedMirrorAndTheLauncherDrawsIt() throws Exception {
        String name = "prog1";
        // 64 MiB of data: at 8 MiB/s QEMU copies it in four bursts of 16 MiB, three between 0 and all
        startDomain(name, 128 * MiB, 64 * MiB);

        Path output = testRoot().resolve("launcher-" + name + ".out");
        ProcessBuilder launcher = new ProcessBuilder(Path.of("nbdflow").toAbsolutePath().toString(), "migrate", name,
                "--to", "host-b", "--bandwidth", "8", "--approve")
                .redirectErrorStream(true).redirectOutput(output.toFile());
        launcher.environment().put("NBDFLOW_URL", restTemplate.getRootUri());
        launcher.environment().put("NBDFLOW_ADMIN_USER", NbdflowTestContext.USER);
        launcher.environment().put("NBDFLOW_ADMIN_PASSWORD", NbdflowTestContext.PASSWORD);
        Process process = launcher.start();
        try {
            String id = awaitId(output, process);

            // the API while the mirror copies at 8 MiB/s: the offset grows, and it is QEMU's, read now
            List<Long> copied = new ArrayList<>();
            int[] bracketed = {0};
            try (QmpClient qmp = tools(name)) {
                // a sample every 300 ms: enough distinct figures at 8 MiB/s
                Wait.every(Duration.ofMillis(300)).until("mirror in sync in time", Duration.ofSeconds(60), () -> {
                    List<BlockJob> before = SourceSide.mirrorJobs(qmp);
                    JsonNode disk = api().getForObject("/api/migrations/" + id, JsonNode.class).path("disks").path(0);
                    List<BlockJob> after = SourceSide.mirrorJobs(qmp);
                    if (disk.path("ready").asBoolean()) {
                        return true;
                    }
                    if (!before.isEmpty() && !after.isEmpty()) {
                        long api = disk.path("bytesCopied").asLong();
                        copied.add(api);
                        // QEMU's offset only grows: a figure read live lies between the two reads around it
                        assertThat(api).as("API figure between QEMU's offsets before and after")
                                .isBetween(before.get(0).offset(), after.get(0).offset());
                        bracketed[0]++;
                    }
                    return false;
                });
            }
            assertThat(bracketed[0]).isGreaterThanOrEqualTo(3);
            assertThat(copied).as("bytesCopied while mirroring").isSorted();
            assertThat(copied.stream().filter(c -> c > 0 && c < 64 * MiB).distinct().count())
                    .as("distinct figures between 0 and all the data: %s", copied).isGreaterThanOrEqualTo(3);

            // what the mirror copies is the disk's data: the rest of the destination's fresh copy reads
            // as zeroes already, and QEMU zeroes it without counting it
            JsonNode waiting = api().getForObject("/api/migrations/" + id, JsonNode.class);
            assertThat(waiting.path("disks").path(0).path("bytesCopied").asLong()).isEqualTo(64 * MiB);
            // the launcher redraws every second: approve once it has shown the disk in sync
            Wait.until("launcher shows the sync", Duration.ofSeconds(15), () -> Files.readString(output),
                    out -> out.contains("64 / 64 MiB  in sync"));
            JsonNode tasks = api().getForObject(engineRest() + "/task?processInstanceId=" + id, JsonNode.class);
            assertThat(tasks).hasSize(1);
            assertThat(api().postForEntity(engineRest() + "/task/" + tasks.get(0).path("id").asText() + "/complete",
                    switchoverDecision(true), String.class).getStatusCode()).isEqualTo(HttpStatus.NO_CONTENT);

            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("launcher ends with the migration").isTrue();
            String out = Files.readString(output);
            assertThat(process.exitValue()).as(out).isZero();
            // not a terminal: one block per change, so every figure it drew is in the file
            Matcher m = Pattern.compile("(?m)^  vda  \\[[#-]{30}] (\\d+) / 64 MiB").matcher(out);
            List<Integer> drawn = new ArrayList<>();
            while (m.find()) {
                drawn.add(Integer.parseInt(m.group(1)));
            }
            assertThat(drawn.stream().distinct().count()).as("vda bars drawn: %s", out).isGreaterThanOrEqualTo(3);
            assertThat(drawn).isSorted();
            assertThat(out).contains("  vda  [##############################] 64 / 64 MiB  in sync")
                    .contains("outcome: migrated").containsPattern("downtime: \\d+ ms");
        } finally {
            process.destroyForcibly();
        }
        assertThat(api().getForObject("/api/domains/" + name, JsonNode.class).path("host").asText()).isEqualTo("host-b");
        stop(name);
    }

    /** The launcher's first line: "migration ID: ...". */
    private static String awaitId(Path output, Process process) throws Exception {
        Pattern first = Pattern.compile("(?m)^migration ([0-9a-f-]+): ");
        String out = Wait.until("launcher started the migration", Duration.ofSeconds(30), () -> {
            String text = Files.exists(output) ? Files.readString(output) : "";
            if (!first.matcher(text).find()) {
                assertThat(process.isAlive()).as("launcher running: %s", text).isTrue();
            }
            return text;
        }, text -> first.matcher(text).find());
        Matcher m = first.matcher(out);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
