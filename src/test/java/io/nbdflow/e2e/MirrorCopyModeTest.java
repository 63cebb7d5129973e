package io.nbdflow.e2e;

import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MirrorCopyModeCases} on this machine's hosts, and the two modes asked for by name: a
 * background mirror never gets in sync with the guest dirtying faster than the limit (the
 * migration rolls back at the convergence timeout, the source untouched), a write-blocking one
 * does.
 */
class MirrorCopyModeTest extends MirrorCopyModeCases {

    @Test
    void writeBlockingKeepsUpWithAGuestWritingFasterThanTheLimit() throws Exception {
        migratesWhileTheGuestDirties("cm-wb", "write-blocking", "write-blocking (requested)");
    }

    @Test
    void backgroundNeverGetsInSyncAndRollsBack() throws Exception {
        FaultScenario s = scenario("cm-bg", MEMORY_MIB, Map.of("vda", 64 * MiB), MiB, Map.of());
        try (QmpClient qmp = tools(s.name()); DiskDirtier guest = DiskDirtier.start(qmp)) {
            guest.awaitAreaWritten();
            String id = s.migrate(Map.of("destinationHost", "host-b", "bandwidthMiBps", LIMIT_MIBPS,
                    "mirrorCopyMode", "background"));
            // an operator's short deadline (as one could set in Cockpit): write-blocking gets in sync within about a second
            shortenConvergenceTimeout(id, "PT4S");
            s.awaitEnd(Duration.ofSeconds(90));
            guest.stop();
        }
        assertThat(s.failureReason()).contains("steady state within PT4S");
        assertThat((String) s.variables().get(Vars.MIRROR_COPY_MODE_USED)).isEqualTo("vda: background (requested)");
        s.assertRolledBack();
        stop(s.name());
        assertThat(TestImages.verify(seen(hostA(), s.vda()), "qcow2", DiskDirtier.PATTERN,
                DiskDirtier.AREA_OFFSET, DiskDirtier.AREA_LENGTH)).as("the guest's writes, in the source").isTrue();
        assertThat(TestImages.verify(seen(hostA(), s.vda()), "qcow2", 0x11, 0, MiB))
                .as("the source's data from before").isTrue();
    }
}
