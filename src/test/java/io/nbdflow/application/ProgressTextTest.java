package io.nbdflow.application;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTextTest {
    private static final long MIB = 1L << 20;

    @Test
    void drawsABarPerDiskAndOneForRam() {
        MigrationView running = new MigrationView("id", "web1", "host-b", "Wait for steady state", "nbd",
                List.of(new MigrationView.DiskProgress("vda", 64 * MIB, 128 * MIB, false),
                        new MigrationView.DiskProgress("vdb", 32 * MIB, 32 * MIB, true)),
                new MigrationView.RamProgress("none", 0, 0), null, null, null, null, null);

        assertThat(ProgressText.progress(running)).containsExactly(
                "phase: Wait for steady state",
                "time left: unknown in this phase, unknown in all",
                "  vda  [###############---------------] 64 / 128 MiB",
                "  vdb  [##############################] 32 / 32 MiB  in sync",
                "  RAM  [------------------------------] 0 MiB sent  none");
        assertThat(ProgressText.result(running)).isEmpty();
    }

    @Test
    void showsRatesWhileCopyingAndTheTimeLeft() {
        MigrationView running = new MigrationView("id", "web1", "host-b", "Mirror disks", "nbd",
                List.of(new MigrationView.DiskProgress("vda", 64 * MIB, 128 * MIB, false, 8 * MIB),
                        new MigrationView.DiskProgress("vdb", 32 * MIB, 32 * MIB, true, 0L)),
                new MigrationView.RamProgress("none", 0, 0), null, null, null, null, null, null, 8L, 200L);
        MigrationView sending = new MigrationView("id", "web1", "host-b", "Wait for switchover point", "nbd",
                List.of(), new MigrationView.RamProgress("active", 96 * MIB, 32 * MIB, 5 * MIB / 2), null, null, null,
                null, null, null, 13L, 7300L);

        assertThat(ProgressText.progress(running)).containsExactly(
                "phase: Mirror disks",
                "time left: 8 s in this phase, 3 min 20 s in all",
                "  vda  [###############---------------] 64 / 128 MiB  8.0 MiB/s",
                "  vdb  [##############################] 32 / 32 MiB  in sync",
                "  RAM  [------------------------------] 0 MiB sent  none");
        assertThat(ProgressText.progress(sending)).containsExactly(
                "phase: Wait for switchover point",
                "time left: 13 s in this phase, 2 h 01 min in all",
                "  RAM  [######################--------] 96 MiB sent  active  2.5 MiB/s");
    }

    @Test
    void anEndedMigrationShowsItsFiguresOrItsReason() {
        MigrationView migrated = new MigrationView("id", "web1", "host-b", "ended", "nbd", List.of(), null,
                "migrated", null, 41L, 23310L, 128 * MIB);
        MigrationView rolledBack = new MigrationView("id", "web1", "host-b", "ended", "nbd", List.of(), null,
                "rolled-back", "Mirror disks (vda): disk full", null, null, null);

        assertThat(ProgressText.progress(migrated)).containsExactly("phase: ended",
                "  RAM  [------------------------------] 0 MiB sent");
        assertThat(ProgressText.result(migrated)).containsExactly("outcome: migrated", "downtime: 41 ms, total: 23310 ms");
        assertThat(ProgressText.result(rolledBack)).containsExactly("outcome: rolled-back",
                "reason: Mirror disks (vda): disk full");
    }
}
