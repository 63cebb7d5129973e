package io.nbdflow.application;

import java.util.List;
import java.util.OptionalDouble;

/**
 * The time left of a migration, from what is copied, what is left and how fast it goes. The model:
 * <ul>
 * <li>Disks are mirrored side by side, each at its own pace (a bandwidth limit applies to each
 *     mirror): the copy is done when the slowest disk is, i.e. the largest of each disk's bytes
 *     left divided by its observed rate (the bandwidth limit while no rate was observed yet).</li>
 * <li>The RAM is sent after the disks are in sync. Before that, what it will send is estimated as
 *     the part of the guest's memory the guest ever touched (see
 *     {@link io.nbdflow.host.GuestMemory}; the memory size when that cannot be read), at the
 *     bandwidth limit, else at the pace the disks went (the same link). While the RAM is sent,
 *     its bytes left divided by the pace they go down at.</li>
 * <li>After the RAM: a fixed allowance for the switchover and the steps after it (resume on the
 *     destination, stop the source), which take about that long whatever the sizes.</li>
 * </ul>
 * The phase's time left is the copy's for the disk mirror steps and the RAM's for the RAM steps;
 * other steps have none. A migration waiting for a person's approval has no estimate at all, nor
 * one rolling back or taking the legacy block path. Unknown is said as empty, never guessed.
 */
final class MigrationEta {
    /** The switchover and the steps after it: measured at 1–3 s on local and SSH hosts. */
    static final double AFTER_RAM_SECONDS = 2.0;

    /** Where a migration is, for the purpose of estimating: the steps in the order they run. */
    enum Stage { BEFORE_COPY, MIRROR, APPROVAL, RAM, SWITCHOVER, OTHER }

    /** A disk to copy: bytes still to copy (0 once in sync) and its observed rate. */
    record DiskLeft(long bytes, OptionalDouble rate) {
    }

    /**
     * The RAM: bytes still to send (estimated before it began), the pace they go down at (empty
     * before the RAM phase or until observed).
     */
    record RamLeft(long bytes, OptionalDouble rate) {
    }

    /** Seconds left in the current phase and in the whole migration; null where unknown. */
    record Estimate(Double phaseSeconds, Double totalSeconds) {
        static final Estimate UNKNOWN = new Estimate(null, null);
    }

    private MigrationEta() {
    }

    /**
     * @param limit the bandwidth limit in bytes/s (each mirror's, and the RAM's), 0 for none
     * @param secondsPastRam how long the migration has been in the switchover steps (0 before)
     */
    static Estimate estimate(Stage stage, List<DiskLeft> disks, RamLeft ram, long limit, double secondsPastRam) {
        double afterRam = Math.max(0, AFTER_RAM_SECONDS - secondsPastRam);
        return switch (stage) {
            case BEFORE_COPY, MIRROR -> {
                Double copy = copySeconds(disks, limit);
                Double sendRam = ramSeconds(ram, ramRate(ram, disks, limit));
                Double total = copy == null || sendRam == null ? null : copy + sendRam + afterRam;
                yield new Estimate(stage == Stage.MIRROR ? copy : null, total);
            }
            case RAM -> {
                Double sendRam = ramSeconds(ram, ramRate(ram, disks, limit));
                yield new Estimate(sendRam, sendRam == null ? null : sendRam + afterRam);
            }
            case SWITCHOVER -> new Estimate(afterRam, afterRam);
            case APPROVAL, OTHER -> Estimate.UNKNOWN;
        };
    }

    /** The slowest disk's time left; null if a disk with bytes left has no rate to go by. */
    private static Double copySeconds(List<DiskLeft> disks, long limit) {
        double slowest = 0;
        for (DiskLeft d : disks) {
            if (d.bytes() <= 0) {
                continue;
            }
            double rate = d.rate().orElse(limit);
            if (rate <= 0) {
                return null;
            }
            slowest = Math.max(slowest, d.bytes() / rate);
        }
        return slowest;
    }

    /** The RAM's own pace once seen; else the limit; else the disks' summed pace over the same link. */
    private static double ramRate(RamLeft ram, List<DiskLeft> disks, long limit) {
        if (ram.rate().isPresent() && ram.rate().getAsDouble() > 0) {
            return ram.rate().getAsDouble();
        }
        if (limit > 0) {
            return limit;
        }
        return disks.stream().mapToDouble(d -> d.rate().orElse(0)).sum();
    }

    private static Double ramSeconds(RamLeft ram, double rate) {
        if (ram.bytes() <= 0) {
            return 0.0;
        }
        return rate > 0 ? ram.bytes() / rate : null;
    }
}
