package io.nbdflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.SshTestContext;
import io.nbdflow.testsupport.TestHost;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same migration, round after round: a running guest (128 MiB) with one qcow2 disk of 1 GiB,
 * 256 MiB of it written, from host-a to host-b over NBD at full speed. Prints, per round, the
 * domain's accelerator, the time from the request to the end seen by the test, the migration's own
 * total time, QEMU's RAM migration time and downtime, and on hosts reached
 * over SSH the channels the migration opened on each host (exec channels for commands, stream-local
 * channels to QEMU's monitors) and new connections, counted in the hosts' sshd logs at LogLevel
 * DEBUG1. Subclasses choose the hosts: {@link LocalMigrationBenchmark}, {@link SshMigrationBenchmark}.
 * Knob: bench.sshRounds (3).
 */
abstract class OneDiskMigrationRounds extends SpringQemuTest {
    private static final long MiB = TestImages.MiB;
    private static final int ROUNDS = Integer.getInteger("bench.sshRounds", 3);

    @Test
    void sameMigrationRoundAfterRound() throws Exception {
        boolean remote = hostA().isRemote();
        List<TestHost> logged = remote ? List.of(testHost(hostA()), testHost(hostB())) : List.of();
        logged.forEach(h -> h.useSshdLogLevel("DEBUG1"));
        List<String> lines = new ArrayList<>();
        try {
            for (int round = 1; round <= ROUNDS; round++) {
                lines.add(round(round, logged));
            }
        } finally {
            logged.forEach(h -> h.useSshdLogLevel("INFO"));
        }
        System.out.println("\n==== one-disk migration (1 GiB, 256 MiB written), hosts "
                + (remote ? "over SSH" : "on this machine")
                + "\nround  accel  wall ms  totalTimeMs  ramMigrationTimeMs  downtimeMs"
                + (remote ? "  exec(a/b)  monitor(a/b)  connections(a/b)" : ""));
        lines.forEach(System.out::println);
        System.out.println("====\n");
    }

    private String round(int round, List<TestHost> logged) throws Exception {
        String name = "bm" + round;
        Path vda = hostA().storageDir().resolve(name + "-src-vda.qcow2");
        TestImages.create(seen(hostA(), vda.getParent()), vda.getFileName().toString(), "qcow2", 1024 * MiB);
        TestImages.write(seen(hostA(), vda), "qcow2", 0x11, 0, 256 * MiB);
        ResponseEntity<String> defined = api().exchange("/api/domains/" + name, HttpMethod.PUT, new HttpEntity<>(
                Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", vda.toString(), "format", "qcow2")))), String.class);
        assertThat(defined.getStatusCode().is2xxSuccessful()).as(defined.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode().value())
                .isEqualTo(200);

        List<String> before = logged.stream().map(OneDiskMigrationRounds::log).toList();
        long start = System.nanoTime();
        JsonNode started = api().postForObject("/api/domains/" + name + "/migrate",
                Map.of("destinationHost", "host-b"), JsonNode.class);
        String id = started.path("processInstanceId").asText();
        awaitEnd(id, Duration.ofSeconds(300));
        long wallMs = (System.nanoTime() - start) / 1_000_000;
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        String accelerator = api().getForObject("/api/domains/" + name, JsonNode.class).path("accelerator").asText("?");
        String line = String.format("%5d  %5s  %7d  %11s  %18s  %10s", round, accelerator, wallMs,
                vars.get(Vars.TOTAL_TIME_MS), vars.get("ramMigrationTimeMs"), vars.get(Vars.DOWNTIME_MS));
        if (!logged.isEmpty()) {
            List<String> during = new ArrayList<>();
            for (int i = 0; i < logged.size(); i++) {
                during.add(log(logged.get(i)).substring(before.get(i).length()));
            }
            line += String.format("  %4d/%-4d  %5d/%-5d  %7d/%-7d",
                    count(during.get(0), "ctype session"), count(during.get(1), "ctype session"),
                    count(during.get(0), "ctype direct-streamlocal"), count(during.get(1), "ctype direct-streamlocal"),
                    count(during.get(0), "Accepted publickey"), count(during.get(1), "Accepted publickey"));
        }
        assertThat(api().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode().value())
                .isEqualTo(200);
        return line;
    }

    private static TestHost testHost(Host host) {
        return SshTestContext.testHost(host.address());
    }

    private static String log(TestHost host) {
        try {
            return Files.readString(host.sshdLog(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long count(String text, String what) {
        return text.lines().filter(l -> l.contains(what)).count();
    }
}
