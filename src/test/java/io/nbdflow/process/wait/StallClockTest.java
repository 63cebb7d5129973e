package io.nbdflow.process.wait;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.MigrationStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StallClockTest {
    private static final long MIB = 1L << 20;
    private static final long SECOND = 1_000_000_000L;

    private static BlockJob mirror(String target, long offset, long length) {
        return new BlockJob("nbdflow-mirror-" + target, "mirror", "running", offset, length, false, null);
    }

    private static MigrationStatus ram(long transferred, long remaining, long total) {
        return new MigrationStatus("active", transferred, remaining, total, 0, 0, null, 0, 0);
    }

    @Test
    void aMirrorThatStopsMovingFailsAfterTheTimeoutNamingWhatWasLeft() {
        StallClock clock = new StallClock(Duration.ofSeconds(30), 0);
        assertThat(clock.look(List.of(mirror("vda", 56 * MIB, 256 * MIB)), null, 0)).isEmpty();
        assertThat(clock.look(List.of(mirror("vda", 56 * MIB, 256 * MIB)), null, 29 * SECOND)).isEmpty();
        assertThat(clock.look(List.of(mirror("vda", 56 * MIB, 256 * MIB)), null, 30 * SECOND))
                .contains("stalled: no progress for 30 s; vda 200 of 256 MiB left");
    }

    @Test
    void anyMovingFigureRestartsTheClock() {
        StallClock clock = new StallClock(Duration.ofSeconds(10), 0);
        List<BlockJob> inSync = List.of(mirror("vda", 256 * MIB, 256 * MIB), mirror("vdb", 8 * MIB, 8 * MIB));
        assertThat(clock.look(inSync, ram(10 * MIB, 118 * MIB, 128 * MIB), 0)).isEmpty();
        // the RAM moves, the mirrors in sync do not
        assertThat(clock.look(inSync, ram(20 * MIB, 108 * MIB, 128 * MIB), 9 * SECOND)).isEmpty();
        assertThat(clock.look(inSync, ram(20 * MIB, 108 * MIB, 128 * MIB), 18 * SECOND)).isEmpty();
        // a guest's write moves a mirror
        List<BlockJob> written = List.of(mirror("vda", 257 * MIB, 257 * MIB), mirror("vdb", 8 * MIB, 8 * MIB));
        assertThat(clock.look(written, ram(20 * MIB, 108 * MIB, 128 * MIB), 27 * SECOND)).isEmpty();
        assertThat(clock.look(written, ram(20 * MIB, 108 * MIB, 128 * MIB), 37 * SECOND))
                .contains("stalled: no progress for 10 s; RAM 108 of 128 MiB left");
    }

    @Test
    void theBlockMigrationNamesTheDisksLeft() {
        StallClock clock = new StallClock(Duration.ofSeconds(5), 0);
        MigrationStatus blk = new MigrationStatus("active", MIB, 127 * MIB, 128 * MIB, 0, 0, null, 40 * MIB,
                24 * MIB + 1);
        clock.look(List.of(), blk, 0);
        assertThat(clock.look(List.of(), blk, 6 * SECOND))
                .contains("stalled: no progress for 6 s; disks 25 of 65 MiB left, RAM 127 of 128 MiB left");
    }

    @Test
    void aMirrorWithNothingLeftIsNoStall() {
        StallClock clock = new StallClock(Duration.ofSeconds(5), 0);
        List<BlockJob> copied = List.of(mirror("vda", 8 * MIB, 8 * MIB));
        clock.look(copied, null, 0);
        assertThat(clock.look(copied, null, 60 * SECOND)).isEmpty();
        // a write of the guest: something is left again, counted from the last look with nothing left
        assertThat(clock.look(List.of(mirror("vda", 8 * MIB, 9 * MIB)), null, 61 * SECOND)).isEmpty();
        assertThat(clock.look(List.of(mirror("vda", 8 * MIB, 9 * MIB)), null, 66 * SECOND))
                .contains("stalled: no progress for 6 s; vda 1 of 9 MiB left");
    }

    @Test
    void lookingWithoutAnAnswerIsNoProgress() {
        StallClock clock = new StallClock(Duration.ofSeconds(10), 0);
        assertThat(clock.noAnswer("query-block-jobs: no reply", 9 * SECOND)).isEmpty();
        assertThat(clock.noAnswer("query-block-jobs: no reply", 10 * SECOND))
                .contains("stalled: no progress for 10 s; then no answer: query-block-jobs: no reply");
        clock.look(List.of(mirror("vda", 8 * MIB, 8 * MIB)), ram(MIB, 3 * MIB, 128 * MIB), 20 * SECOND);
        assertThat(clock.noAnswer("query-migrate: no reply", 29 * SECOND)).isEmpty();
        assertThat(clock.noAnswer("query-migrate: no reply", 31 * SECOND)).contains("stalled: no progress for 11 s; "
                + "RAM 3 of 128 MiB left when last seen; then no answer: query-migrate: no reply");
    }
}
