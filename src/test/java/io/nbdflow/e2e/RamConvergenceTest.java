package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.DirtyingGuest;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RamConvergenceCases} between this machine's hosts, and here only (each costs some 20 s):
 * the request's downtime limit and auto-converge reach the source QEMU, and a guest that dirties
 * its RAM faster than the link carries it ({@link DirtyingGuest}) never converges without
 * auto-converge and is migrated with it; a stall in the RAM phase.
 */
class RamConvergenceTest extends RamConvergenceCases {

    /**
     * One guest, two migrations: without auto-converge the convergence timeout (shortened to 8 s)
     * rolls it back, with it QEMU throttles the guest's CPU and the migration completes.
     */
    @Test
    void autoConvergeMigratesAGuestThatDirtiesRamFasterThanTheLink() throws Exception {
        String name = "ram-dirty";
        Path disk = startDirtyingGuest(name);
        try (QmpClient qmp = tools(name)) {
            // a steeper ramp than QEMU's 20 % and 10 % more a round, which would take some 20 s:
            // nbdflow leaves these two alone, so the operator's values stand
            qmp.execute("migrate-set-parameters", Map.of("cpu-throttle-initial", 60, "cpu-throttle-increment", 20));
        }

        // 16 MiB/s against the guest's 125 MiB/s: each round finds its 16 MiB dirty again
        FaultScenario s = new FaultScenario(this, name, disk, Map.of());
        String id = s.migrate(Map.of("destinationHost", "host-b", "bandwidthMiBps", 16, "maxDowntimeMs", 100,
                "autoConverge", false));
        shortenConvergenceTimeout(id, "PT8S");
        Observed without = observeRamMigration(name, id);
        assertThat(without.downtimeLimit).as("downtime-limit on the source").isEqualTo(100);
        assertThat(without.autoConverge).as("auto-converge on the source").isFalse();
        assertThat(without.maxThrottle).as("CPU throttled").isZero();
        assertThat(s.failureReason()).isEqualTo("migration did not reach the switchover point within PT8S");
        s.assertRolledBack();

        String again = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16, "maxDowntimeMs", 100,
                "autoConverge", true));
        Observed with = observeRamMigration(name, again);
        Map<String, Object> vars = variables(again);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(with.downtimeLimit).as("downtime-limit on the source").isEqualTo(100);
        assertThat(with.autoConverge).as("auto-converge on the source").isTrue();
        assertThat(with.maxThrottle).as("CPU throttled").isPositive();
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
    }

    /**
     * The destination stops reading while the RAM is sent (a guest that dirties its RAM, without
     * auto-converge, so the RAM migration goes on for ever): the RAM migration stalls, and the
     * migration rolls back.
     */
    @Test
    void aDestinationThatStopsReadingStallsTheRamMigration() throws Exception {
        String name = "stall-ram";
        FaultScenario s = new FaultScenario(this, name, startDirtyingGuest(name), Map.of());
        s.migrate(Map.of("destinationHost", "host-b", "bandwidthMiBps", 2, "autoConverge", false,
                "stallTimeoutSeconds", 5));
        long destination = 0;
        try {
            try (QmpClient qmp = tools(name)) {
                Wait.until("RAM migration under way", Duration.ofSeconds(90), () -> SourceSide.queryMigrate(qmp),
                        m -> m.status().equals("active") && m.transferred() > 2 * MiB);
                destination = pid(pidFile(hostB(), name));
                signal("STOP", destination);
            }
            awaitStallNoticed(s.id());
        } finally {
            signal("CONT", destination);
        }
        s.awaitEnd(Duration.ofSeconds(120));

        assertThat(s.failureReason()).matches("stalled: no progress for \\d+ s; RAM \\d+ of 1\\d\\d MiB left");
        assertThat(s.variables().get("rollbackProblems")).as("everything undone").isNull();
        s.assertRolledBack();
    }

    /** Defines and starts a domain (128 MiB) on host-a that boots the {@link DirtyingGuest}; returns its disk. */
    private Path startDirtyingGuest(String name) {
        Path disk = hostA().storageDir().resolve(name + "-boot.raw");
        DirtyingGuest.createDisk(seen(hostA(), disk));
        ResponseEntity<String> defined = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", disk.toString(), "format", "raw")))), String.class);
        assertThat(defined.getStatusCode().is2xxSuccessful()).as(defined.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        return disk;
    }
}
