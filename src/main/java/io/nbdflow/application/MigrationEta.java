package io.nbdflow.application;

import io.nbdflow.process.Bpmn;

import java.util.List;
import java.util.OptionalDouble;

/**
 * The time left of a migration, from what is copied, what is left and how fast it goes. The model:
 * <ul>
 * <li>The steps before the copy (inspect, pre-create disks, start the destination and its NBD
 *     server): the ones not done yet, the current one half done, at the pace this migration's
 *     earlier ones went (they take seconds, more on a busy host), counting two more steps of a
 *     second each so that the first steps' pace (which includes waiting to be picked up) does
 *     not weigh alone.</li>
 * <li>Disks are mirrored side by side, each at its own pace (a bandwidth limit applies to each
 *     mirror): the copy is done when the slowest disk is, i.e. the largest of each disk's bytes
 *     left divided by its observed rate (the bandwidth limit while no rate was observed yet).</li>
 * <li>The RAM is sent after the disks are in sync. Before that, what it will send is estimated as
 *     the part of the guest's memory the guest ever touched (see
 *     {@link io.nbdflow.host.GuestMemory}; the memory size when that cannot be read), at the
 *     bandwidth limit, else at the pace the disks went (the same link). While the RAM is sent, the
 *     same at the pace it is sent; on the first pass, of what QEMU says remains, as much as the
 *     part already scanned needed sending per byte (QEMU sends a zero page as a few bytes), and
 *     no more than the touched part not sent yet; after it what QEMU says remains.</li>
 * <li>After the disks and the RAM: the step that starts the RAM migration, the switchover and the
 *     steps after it (resume on the destination, stop the source), which take about the same time
 *     whatever the sizes, mostly the engine picking up each step: a fixed
 *     {@link #AFTER_RAM_SECONDS}, counted down a quarter per step once there.</li>
 * </ul>
 * The phase's time left is the copy's for the disk mirror steps and the RAM's for the RAM steps;
 * other steps have none. A migration waiting for a person's approval has no estimate at all, nor
 * one rolling back or taking the legacy block path. Unknown is said as empty, never guessed.
 */
final class MigrationEta {
    /**
     * The steps after the sync: 1.5–5 s measured from the disks' sync to the end (2 s typical) on a
     * busy machine, two cores running several migrations at once.
     */
    static final double AFTER_RAM_SECONDS = 2.0;
    /** The steps besides copying once the disks are in sync, in the order they run (the first starts the RAM). */
    static final List<String> AFTER_RAM = List.of(Bpmn.START_MIGRATION, Bpmn.SWITCH_OVER, Bpmn.RESUME_DESTINATION,
            Bpmn.STOP_SOURCE);
    /** A step before the copy, until one of this migration's has finished. */
    static final double PREPARATION_STEP_SECONDS = 1.0;
    /** The steps before the copy, in the order they run. */
    static final List<String> PREPARATION = List.of(Bpmn.INSPECT_SOURCE, Bpmn.CHECK_BLOCK_JOBS, Bpmn.PRECREATE_DISKS,
            Bpmn.START_DESTINATION, Bpmn.START_NBD_SERVER);

    /** Where a migration is, for the purpose of estimating: the steps in the order they run. */
    enum Stage { BEFORE_COPY, MIRROR, APPROVAL, RAM, SWITCHOVER, OTHER }

    /** A disk to copy: bytes still to copy (0 once in sync) and its observed rate. */
    record DiskLeft(long bytes, OptionalDouble rate) {
    }

    /** The RAM: bytes still to send (estimated before it began), the pace it is sent at (empty until observed). */
    record RamLeft(long bytes, OptionalDouble rate) {
    }

    /** Seconds left in the current phase and in the whole migration; null where unknown. */
    record Estimate(Double phaseSeconds, Double totalSeconds) {
        static final Estimate UNKNOWN = new Estimate(null, null);
    }

    private MigrationEta() {
    }

    /**
     * The time the steps before the copy still take, the migration being at that step (an id of
     * {@link #PREPARATION}) that long after it started.
     */
    static double preparationSeconds(String step, double secondsSinceStart) {
        int done = Math.max(0, PREPARATION.indexOf(step));
        double pace = (secondsSinceStart + 2 * PREPARATION_STEP_SECONDS) / (done + 2);
        return (PREPARATION.size() - done - 0.5) * pace;
    }

    /**
     * What the steps after the RAM still take, the migration being at that step: all of them before
     * the RAM began, else those not done (the current one taken as half done; none of them while
     * the RAM is sent, the RAM having its own estimate).
     */
    static double afterRamLeft(String step) {
        int at = step == null ? -1 : AFTER_RAM.indexOf(step);
        double left;
        if (Bpmn.WAIT_SWITCHOVER_POINT.equals(step)) {
            left = AFTER_RAM.size() - 1;
        } else if (Bpmn.GATEWAY_MIGRATED.equals(step)) {
            left = AFTER_RAM.size() - 2;
        } else {
            left = at < 0 ? AFTER_RAM.size() : AFTER_RAM.size() - at - 0.5;
        }
        return left * AFTER_RAM_SECONDS / AFTER_RAM.size();
    }

    /**
     * @param step the main flow's step the migration is at (an activity id), if any
     * @param secondsSinceStart how long ago the migration started
     * @param limit the bandwidth limit in bytes/s (each mirror's, and the RAM's), 0 for none
     */
    static Estimate estimate(Stage stage, String step, double secondsSinceStart, List<DiskLeft> disks, RamLeft ram,
                             long limit) {
        double preparation = stage == Stage.BEFORE_COPY ? preparationSeconds(step, secondsSinceStart) : 0;
        double afterRam = afterRamLeft(step);
        return switch (stage) {
            case BEFORE_COPY, MIRROR -> {
                Double copy = copySeconds(disks, limit);
                Double sendRam = ramSeconds(ram, ramRate(ram, disks, limit));
                Double total = copy == null || sendRam == null ? null : preparation + copy + sendRam + afterRam;
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
