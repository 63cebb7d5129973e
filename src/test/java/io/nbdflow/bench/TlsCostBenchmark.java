package io.nbdflow.bench;

import io.nbdflow.host.Host;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.TlsTestContext;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.ContextConfiguration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What TLS costs: the same migration (a 128 MiB guest, one qcow2 disk of 1 GiB with 256 MiB
 * written, over NBD at full speed) from host-a to host-c (no TLS) and to host-b (TLS), taking
 * turns, on this machine's hosts ({@link TlsTestContext}). Per migration: the time from the
 * request to its end, QEMU's own total time, and the CPU time both QEMUs spent meanwhile
 * (utime + stime from /proc/PID/stat, sampled every 20 ms while the migration runs: the source
 * QEMU exits at the end, so its last sample counts; the destination's includes its start-up,
 * the same in both cases). Knobs: bench.tlsRounds (4), bench.warmup (1 of each).
 */
@ContextConfiguration(initializers = TlsTestContext.class, inheritInitializers = false)
class TlsCostBenchmark extends SpringQemuTest {
    private static final long MiB = TestImages.MiB;
    private static final int ROUNDS = Integer.getInteger("bench.tlsRounds", 4);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 1);
    /** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
    private static final long TICKS_PER_SECOND = 100;

    private record Run(long wallMs, long totalTimeMs, long sourceCpuMs, long destinationCpuMs) {
        long cpuMs() {
            return sourceCpuMs + destinationCpuMs;
        }
    }

    @Test
    void migrationWithAndWithoutTls() throws Exception {
        Samples[] wall = {new Samples(), new Samples()};
        Samples[] total = {new Samples(), new Samples()};
        Samples[] cpu = {new Samples(), new Samples()};
        Samples[] sourceCpu = {new Samples(), new Samples()};
        int n = 0;
        for (int round = 0; round < WARMUP + ROUNDS; round++) {
            // alternate which goes first, so that both share the machine's load alike
            for (int k = 0; k < 2; k++) {
                int tls = (round + k) % 2;
                Run r = migrate("tc" + n++, tls == 1 ? "host-b" : "host-c", tls == 1);
                if (round >= WARMUP) {
                    wall[tls].add(r.wallMs());
                    total[tls].add(r.totalTimeMs());
                    cpu[tls].add(r.cpuMs());
                    sourceCpu[tls].add(r.sourceCpuMs());
                }
            }
        }
        System.out.println("\n==== TLS cost: 128 MiB guest, 1 GiB qcow2 disk with 256 MiB written, NBD, full speed, "
                + ROUNDS + " rounds each, median (min-max)"
                + "\n| metric | without TLS | with TLS | TLS / plain |\n|---|---|---|---|");
        row("wall time, request to end, ms", wall);
        row("totalTimeMs (the migration's own), ms", total);
        row("CPU of both QEMUs, ms", cpu);
        row("  of which the source QEMU, ms", sourceCpu);
        System.out.println("====\n");
    }

    private static void row(String metric, Samples[] s) {
        System.out.printf("| %s | %s | %s | %.2f |%n", metric, s[0].summary(), s[1].summary(),
                s[1].median() / s[0].median());
    }

    private Run migrate(String name, String destinationName, boolean tls) throws Exception {
        Host a = hostA();
        Host destination = hosts.get(destinationName);
        Path vda = a.storageDir().resolve(name + "-src-vda.qcow2");
        TestImages.create(vda.getParent(), vda.getFileName().toString(), "qcow2", 1024 * MiB);
        TestImages.write(vda, "qcow2", 0x11, 0, 256 * MiB);
        ResponseEntity<String> defined = api().exchange("/api/domains/" + name, HttpMethod.PUT, new HttpEntity<>(
                Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", vda.toString(), "format", "qcow2")))), String.class);
        assertThat(defined.getStatusCode().is2xxSuccessful()).as(defined.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode().value())
                .isEqualTo(200);
        long sourcePid = QemuProcesses.readPid(a.domainDir(name).resolve(QemuInstance.PID_FILE)).orElseThrow();
        Path destinationPidFile = destination.domainDir(name).resolve(QemuInstance.PID_FILE);
        long sourceStart = cpuTicks(sourcePid);

        long start = System.nanoTime();
        Map<?, ?> started = api().postForObject("/api/domains/" + name + "/migrate",
                Map.of("destinationHost", destinationName, "keepSourceDisks", false), Map.class);
        String id = String.valueOf(started.get("processInstanceId"));
        long sourceLast = sourceStart;
        long destinationPid = -1;
        long destinationLast = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!ended(id)) {
            sourceLast = Math.max(sourceLast, cpuTicks(sourcePid));
            if (destinationPid < 0) {
                OptionalLong pid = QemuProcesses.readPid(destinationPidFile);
                destinationPid = pid.isPresent() ? pid.getAsLong() : -1;
            }
            if (destinationPid > 0) {
                destinationLast = Math.max(destinationLast, cpuTicks(destinationPid));
            }
            assertThat(System.nanoTime()).as("migration %s still running", id).isLessThan(deadline);
            Thread.sleep(20);
        }
        long wallMs = (System.nanoTime() - start) / 1_000_000;
        if (destinationPid > 0) {
            destinationLast = Math.max(destinationLast, cpuTicks(destinationPid));
        }
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.ENCRYPTED)).isEqualTo(tls);
        assertThat(api().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode().value())
                .isEqualTo(200);
        return new Run(wallMs, ((Number) vars.get(Vars.TOTAL_TIME_MS)).longValue(),
                (sourceLast - sourceStart) * 1000 / TICKS_PER_SECOND, destinationLast * 1000 / TICKS_PER_SECOND);
    }

    /** utime + stime of that process in clock ticks; 0 once it is gone. */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name (field 2) may hold spaces: count fields after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
