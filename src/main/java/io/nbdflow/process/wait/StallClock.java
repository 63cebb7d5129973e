package io.nbdflow.process.wait;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.MigrationStatus;
import io.nbdflow.migration.MirrorJobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Tells a migration that still moves from one that stopped: a destination that no longer reads, a
 * link that lost its packets without closing the connection. Neither the mirrors nor the RAM
 * migration report such a stop; they just copy nothing more. Each look hands in what QEMU says;
 * any moved figure (a mirror's offset, the RAM or the block migration's bytes sent) is progress,
 * and once nothing has moved for the timeout the clock names what stalled and how much was left.
 * <p>
 * A look that gets no answer shows no progress either: QEMU 7.2 flushes every block node, the
 * mirrors' NBD targets too, when it stops the guest for the switchover, in its main loop, so a
 * destination that stopped reading leaves the source's monitor without an answer.
 * <p>
 * The clock lives in memory with its watch, and starts with the watch: after a restart of the
 * application it counts again from then, so a stalled migration fails at the latest one timeout
 * after the restart.
 */
final class StallClock {
    private static final long MIB = 1L << 20;

    private final Duration timeout;
    private List<Long> lastFigures;
    private List<String> lastLeft = List.of();
    private long lastProgressAt;

    /** @param startedAt System.nanoTime() when the watch began */
    StallClock(Duration timeout, long startedAt) {
        this.timeout = timeout;
        this.lastProgressAt = startedAt;
    }

    /**
     * What QEMU says now: the mirrors to copy and, in the RAM wait or the block migration, the
     * migration (null while only the mirrors run). Returns why the migration failed once nothing
     * moved for the timeout.
     *
     * @param now System.nanoTime() of the look
     */
    Optional<String> look(List<BlockJob> mirrors, MigrationStatus migration, long now) {
        List<Long> figures = figures(mirrors, migration);
        lastLeft = left(mirrors, migration);
        // nothing left to send is no stall: a mirror that copied everything may still sleep off
        // its speed limit (zeroes count toward it) before QEMU calls it ready
        if (lastFigures == null || !figures.equals(lastFigures) || lastLeft.isEmpty()) {
            lastFigures = figures;
            lastProgressAt = now;
            return Optional.empty();
        }
        long still = now - lastProgressAt;
        if (still < timeout.toNanos()) {
            return Optional.empty();
        }
        return Optional.of("stalled: no progress for " + Duration.ofNanos(still).toSeconds() + " s; "
                + String.join(", ", lastLeft));
    }

    /**
     * A look that failed (QEMU did not answer, or answered nothing usable): no progress seen.
     * Returns why the migration failed once the last progress is the timeout ago.
     *
     * @param why what went wrong with the look
     */
    Optional<String> noAnswer(String why, long now) {
        long still = now - lastProgressAt;
        if (still < timeout.toNanos()) {
            return Optional.empty();
        }
        return Optional.of("stalled: no progress for " + Duration.ofNanos(still).toSeconds() + " s; "
                + (lastLeft.isEmpty() ? "" : String.join(", ", lastLeft) + " when last seen; ")
                + "then no answer: " + why);
    }

    private static List<Long> figures(List<BlockJob> mirrors, MigrationStatus migration) {
        List<Long> figures = new ArrayList<>();
        mirrors.stream().sorted(Comparator.comparing(BlockJob::id)).forEach(j -> figures.add(j.offset()));
        if (migration != null) {
            figures.add(migration.transferred());
            figures.add(migration.diskTransferred());
        }
        return figures;
    }

    /** Each copy that has something left: "vda 200 of 256 MiB left", "RAM 96 of 128 MiB left". */
    private static List<String> left(List<BlockJob> mirrors, MigrationStatus migration) {
        List<String> parts = new ArrayList<>();
        mirrors.stream().sorted(Comparator.comparing(BlockJob::id)).filter(j -> j.length() > j.offset())
                .forEach(j -> parts.add(target(j) + " " + ofMiB(j.length() - j.offset(), j.length())));
        if (migration != null && migration.diskRemaining() > 0) {
            parts.add("disks " + ofMiB(migration.diskRemaining(), migration.diskTransferred()
                    + migration.diskRemaining()));
        }
        if (migration != null && migration.remaining() > 0) {
            parts.add("RAM " + ofMiB(migration.remaining(), migration.total()));
        }
        return parts;
    }

    private static String target(BlockJob job) {
        return MirrorJobs.isOurs(job.id()) ? MirrorJobs.target(job.id()) : job.id();
    }

    private static String ofMiB(long left, long total) {
        // rounded up: a copy with bytes left never reads "0 MiB left"
        return (left + MIB - 1) / MIB + " of " + (total + MIB - 1) / MIB + " MiB left";
    }
}
