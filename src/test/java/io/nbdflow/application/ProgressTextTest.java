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
                "  vda  [###############---------------] 64 / 128 MiB",
                "  vdb  [##############################] 32 / 32 MiB  in sync",
                "  RAM  [------------------------------] 0 MiB sent  none");
        assertThat(ProgressText.result(running)).isEmpty();
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
