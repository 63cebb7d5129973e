package io.nbdflow.migration;

import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The copy mode one disk's mirror starts in, and why. {@code background} and {@code write-blocking}
 * are taken as asked. {@code auto} measures how fast the guest writes to that disk
 * ({@link GuestWriteRate}: since the source was inspected, or over {@link #SAMPLE_WINDOW}) and
 * starts write-blocking when the guest writes faster than half the bandwidth limit: a background
 * mirror only catches up with what is left of the limit once the guest's writes are copied again,
 * so above half of it the copy takes more than twice as long as unhindered, which is all the
 * convergence timeout allows by default (convergence-bandwidth-factor 2), and at or above the limit
 * it never ends. Without a limit nothing tells how fast the mirror can copy, so auto starts in the
 * background without measuring. Decided per disk because each disk has its own mirror, speed limit
 * and writes: a disk the guest leaves alone keeps the background mode, which adds nothing to the
 * guest's write latency.
 *
 * @param mode   background or write-blocking
 * @param reason what decided it, for the records and the log
 */
public record CopyModeChoice(MirrorCopyMode mode, String reason) {

    /**
     * How long the guest's writes are watched when no earlier read is at hand: long enough to smooth a
     * burst, short against a migration.
     */
    public static final Duration SAMPLE_WINDOW = Duration.ofSeconds(1);

    private static final double MIB = 1 << 20;

    /**
     * Decides for that disk of the source QEMU; measures the guest's writes only when {@code auto}
     * needs them, from the earlier snapshot if it is usable (see {@link GuestWriteRate}).
     */
    public static CopyModeChoice forDisk(QmpClient source, String target, MirrorCopyMode requested,
                                         long limitBytesPerSecond, Optional<GuestWriteRate.Snapshot> earlier)
            throws QmpException, InterruptedException {
        if (!measures(requested, limitBytesPerSecond)) {
            return decide(requested, limitBytesPerSecond, OptionalLong.empty());
        }
        return decide(requested, limitBytesPerSecond,
                GuestWriteRate.bytesPerSecond(source, target, earlier, SAMPLE_WINDOW));
    }

    /** Whether the choice needs the guest's write rate: {@code auto} with a bandwidth limit. */
    public static boolean measures(MirrorCopyMode requested, long limitBytesPerSecond) {
        return requested == MirrorCopyMode.AUTO && limitBytesPerSecond > 0;
    }

    /**
     * @param limitBytesPerSecond the mirror's speed limit, 0 for none
     * @param guestBytesPerSecond how fast the guest writes to the disk, empty if not known
     */
    public static CopyModeChoice decide(MirrorCopyMode requested, long limitBytesPerSecond,
                                        OptionalLong guestBytesPerSecond) {
        if (requested != MirrorCopyMode.AUTO) {
            return new CopyModeChoice(requested, "requested");
        }
        if (limitBytesPerSecond <= 0) {
            return new CopyModeChoice(MirrorCopyMode.BACKGROUND, "auto: no bandwidth limit");
        }
        if (guestBytesPerSecond.isEmpty()) {
            return new CopyModeChoice(MirrorCopyMode.BACKGROUND, "auto: the guest's write rate is unknown");
        }
        long rate = guestBytesPerSecond.getAsLong();
        boolean tooFast = rate > limitBytesPerSecond / 2.0;
        return new CopyModeChoice(tooFast ? MirrorCopyMode.WRITE_BLOCKING : MirrorCopyMode.BACKGROUND,
                String.format(Locale.ROOT, "auto: the guest writes %.1f MiB/s, %s half the limit of %.1f MiB/s",
                        rate / MIB, tooFast ? "more than" : "at most", limitBytesPerSecond / MIB));
    }

    /** As the records show it, e.g. {@code write-blocking (requested)}. */
    public String describe() {
        return mode.value() + " (" + reason + ")";
    }
}
