package io.nbdflow.e2e;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The NBD connection cut in the middle of the mirror: the destination's NBD server is stopped
 * through its operators' monitor while the (bandwidth-limited) mirror still copies. The
 * migration rolls back with the same invariants as {@link FaultInjectionTest} (both use those of
 * {@link FaultScenario}), and the same migration started again succeeds.
 */
class NbdCutTest extends MigrationTestBase {

    @Test
    void nbdServerStoppedWhileDisksAreMirroredRollsBack() throws Exception {
        FaultScenario s = scenario("nbd-cut", 256 * MiB, 64 * MiB,
                Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));

        s.migrate();
        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            try (QmpClient destination = QmpClient.connect(hostB().domainDir(s.name()).resolve("qmp-tools.sock"),
                    Duration.ofSeconds(10))) {
                destination.execute("nbd-server-stop");
            }
        }
        s.awaitEnd(Duration.ofSeconds(120));

        assertThat(s.failureReason()).containsIgnoringCase("mirror");
        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }

    /**
     * Only the migration's own ports and the listeners of this context's QEMUs count: other test
     * runs on this machine may listen on the same address and range.
     */
    @Override
    protected void assertHostBPortsClosed(Map<String, Object> vars) throws Exception {
        for (String variable : List.of(Vars.NBD_PORT, Vars.MIGRATION_PORT)) {
            if (vars.get(variable) instanceof Number port) {
                assertThat(Ports.isListening(hostB().address(), port.intValue())).as(variable + " on host-b")
                        .isFalse();
            }
        }
        assertThat(listeners(hostB().address().getHostAddress(), testRoot())).as("our listeners on host-b").isEmpty();
    }
}
