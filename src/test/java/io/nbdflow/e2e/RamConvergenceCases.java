package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a migration that stops moving ends, on real QEMU: a destination that stops reading
 * (SIGSTOP: its connections stay open, nothing more is taken) fails the migration once nothing has
 * moved for the stall timeout, with a reason naming what was left, and the usual rollback. Run on
 * this machine's hosts by {@link RamConvergenceTest} (with the RAM's downtime limit and
 * auto-converge), over SSH by {@link SshRamConvergenceTest}.
 */
abstract class RamConvergenceCases extends MigrationTestBase {

    /**
     * The destination stays frozen through the rollback too: its monitor never answers, so the
     * NBD server is not stopped on its own but goes with the QEMU, which is killed; the rollback
     * ends without a person.
     */
    @Test
    void aDestinationThatStopsReadingStallsTheMirrorAndTheMigrationRollsBack() throws Exception {
        // (the migration started again after a rollback is DestinationFaultCases' part)
        FaultScenario s = scenario("stall-mirror", 256 * MiB, 64 * MiB, Map.of("destinationHost", "host-b"));
        s.migrate(Map.of("destinationHost", "host-b", "bandwidthMiBps", 8, "stallTimeoutSeconds", 8));
        long destination = 0;
        try {
            try (QmpClient qmp = tools(s.name())) {
                awaitMirrorJobs(qmp, 1);
                Wait.until("mirror copying", Duration.ofSeconds(30),
                        () -> SourceSide.mirrorJobs(qmp).stream().mapToLong(BlockJob::offset).sum(),
                        copied -> copied >= 4 * MiB);
                destination = pid(pidFile(hostB(), s.name()));
                signal("STOP", destination);
                guestWrite(qmp); // the source keeps taking writes while the copy stands still
            }
            s.awaitEnd(Duration.ofSeconds(180));
        } finally {
            if (destination > 0 && QemuProcesses.isLiveQemu(destination)) {
                signal("CONT", destination); // the rollback failed to kill it: let the reaper end it
            }
        }

        assertThat(s.failureReason()).startsWith("stalled: no progress for ").containsPattern("; vda \\d+ of \\d+ MiB left");
        assertThat(s.variables().get("rollbackProblems")).as("everything undone").isNull();
        s.assertRolledBack();
    }

    // ---- helpers

    /**
     * Waits until the watcher has failed the migration for its stall. The destination then reads
     * again: this test is about noticing the stall, while a destination frozen for good is a hung
     * QEMU, whose monitor the rollback waits for as long as for any other.
     */
    protected void awaitStallNoticed(String id) throws InterruptedException {
        Wait.until("the stall noticed", Duration.ofSeconds(90), () -> variables(id).get(Vars.WATCH_FAILURE) != null);
    }

    /** What the source QEMU said while its RAM migration ran. */
    static final class Observed {
        long downtimeLimit = -1;
        Boolean autoConverge;
        long maxThrottle;
    }

    /**
     * Until the migration ends: the source's downtime limit and auto-converge once the RAM
     * migration is active, and the highest CPU throttle QEMU reported.
     */
    protected Observed observeRamMigration(String name, String id) throws Exception {
        Observed seen = new Observed();
        try (QmpClient qmp = tools(name)) {
            Wait.every(Duration.ofMillis(200)).until("migration " + id + " ended", Duration.ofSeconds(120), () -> {
                if (ended(id)) {
                    return true;
                }
                try {
                    JsonNode migration = qmp.execute("query-migrate");
                    if (migration.path("status").asText().equals("active") && seen.autoConverge == null) {
                        seen.downtimeLimit = qmp.execute("query-migrate-parameters").path("downtime-limit").asLong();
                        for (JsonNode c : qmp.execute("query-migrate-capabilities")) {
                            if (c.path("capability").asText().equals("auto-converge")) {
                                seen.autoConverge = c.path("state").asBoolean();
                            }
                        }
                    }
                    seen.maxThrottle = Math.max(seen.maxThrottle, migration.path("cpu-throttle-percentage").asLong());
                } catch (QmpException e) {
                    // the source quits once the guest runs on the destination
                }
                return false;
            });
        } catch (QmpException e) {
            // the source went before the first look
        }
        return seen;
    }

    static long pid(Path pidFile) {
        OptionalLong pid = QemuProcesses.readPid(pidFile);
        assertThat(pid).as("pid in " + pidFile).isPresent();
        return pid.getAsLong();
    }

    /** Sends that signal to the process (nothing for pid 0, nor for a process already gone). */
    static void signal(String signal, long pid) throws Exception {
        if (pid > 0) {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
