package io.nbdflow.e2e;

import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CrashRestartCases} on this machine's hosts, and two more moments for the kill: while a
 * step waits on a stopped source QEMU, and while the switchover waits for approval.
 */
class CrashRestartTest extends CrashRestartCases {

    /**
     * The kill lands while a step's job is running (the source QEMU is stopped, so the step waits on
     * its monitor): the database then holds that job locked by the dead application. The restarted
     * node releases its own locks at once instead of waiting out the engine's 5-minute lock time.
     */
    @Test
    void theApplicationKilledWhileAStepWaitsOnQemuRunsTheStepAgainAfterItsRestart() throws Exception {
        String name = "cr-step";
        startApplication();
        Path vda = app.image("vda", 64 * MiB, 16 * MiB);
        app.startDomain(name, vda);
        long sourcePid = app.sourcePid(name);

        signal("STOP", sourcePid);
        try {
            String id = app.migrate(name, Map.of("destinationHost", "host-b"));
            Wait.pause("a step that asks the source (inspect, block-job check or mirror) now waits for its reply",
                    Duration.ofSeconds(4));
            killApplication();
            assertThat(jobsLockedInTheDatabase()).as("a job held by the killed application").isNotEmpty()
                    .allMatch(owner -> owner.startsWith("nbdflow@"));
            signal("CONT", sourcePid);

            startApplication();
            app.awaitEnd(id, Duration.ofSeconds(120));
            app.assertMigrated(name, id, sourcePid, Map.of("vda", vda));
        } finally {
            signal("CONT", sourcePid);
        }
    }

    /** Lock owners of the jobs in the (closed) database, read the way the next start finds them. */
    private List<String> jobsLockedInTheDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + root.resolve("db/nbdflow"), "sa", "");
             ResultSet r = c.createStatement().executeQuery(
                     "select LOCK_OWNER_ from ACT_RU_JOB where LOCK_OWNER_ is not null")) {
            List<String> owners = new ArrayList<>();
            while (r.next()) {
                owners.add(r.getString(1));
            }
            return owners;
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theApplicationKilledWhileWaitingForApprovalCompletesAfterItsRestart() throws Exception {
        String name = "cr-approve";
        startApplication();
        Path vda = app.image("vda", 256 * MiB, 64 * MiB);
        app.startDomain(name, vda);
        long sourcePid = app.sourcePid(name);

        String id = app.migrateAwaitingApproval(name, Duration.ofSeconds(90));

        killApplication();
        app.assertSourceWaitsInSync(name, sourcePid);

        startApplication();
        app.approve(id); // the task is still there after the restart
        app.awaitEnd(id, Duration.ofSeconds(120));
        app.assertMigrated(name, id, sourcePid, Map.of("vda", vda));
    }
}
