package io.nbdflow.e2e;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The NBD connection cut in the middle of the mirror: the destination's NBD server is stopped
 * through its operators' monitor while the (bandwidth-limited) mirror still copies. The
 * migration rolls back with the same invariants as {@link FaultInjectionTest} (both use those of
 * {@link MigrationTestBase}), and the same migration started again succeeds.
 */
class NbdCutTest extends MigrationTestBase {

    @Test
    void nbdServerStoppedWhileDisksAreMirroredRollsBack() throws Exception {
        String name = "nbd-cut";
        Path vda = startDomain(name, 256 * MiB, 64 * MiB);
        Set<String> before = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 16);

        String id = migrate(name, request);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still running").anyMatch(j -> !j.ready());
            guestWrite(qmp);
            try (QmpClient destination = QmpClient.connect(hostB().domainDir(name).resolve("qmp-tools.sock"),
                    Duration.ofSeconds(10))) {
                destination.execute("nbd-server-stop");
            }
        }
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat((String) variables(id).get("failureReason")).containsIgnoringCase("mirror");
        assertRolledBackCleanly(name, id, "rolled-back", before, Set.of());
        assertSameMigrationSucceeds(name, request, vda);
    }

    /**
     * Only the migration's own ports and the listeners of this context's QEMUs count: other test
     * runs on this machine may listen on the same address and range.
     */
    @Override
    protected void assertHostBPortsClosed(Map<String, Object> vars) throws Exception {
        for (String variable : List.of("nbdPort", "migrationPort")) {
            if (vars.get(variable) instanceof Number port) {
                assertThat(Ports.isListening(hostB().address(), port.intValue())).as(variable + " on host-b")
                        .isFalse();
            }
        }
        assertThat(listeners(hostB().address().getHostAddress(), testRoot())).as("our listeners on host-b").isEmpty();
    }
}
