package io.nbdflow.migration;

import java.time.Duration;

/**
 * How long the wait for steady state may last before the migration fails (neither libvirt nor
 * Proxmox bounds it): proportional to the data to copy, never below a minimum, and never less
 * than a multiple (default 2) of what a bandwidth limit alone makes the copy take (else a limited
 * migration of a big disk would time out while copying at exactly the speed the user asked for).
 */
public final class ConvergenceTimeout {
    private static final double GIB = 1L << 30;

    private ConvergenceTimeout() {
    }

    /**
     * The configured bounds.
     *
     * @param minimum         never less than this
     * @param secondsPerGib   how long each GiB to copy may take
     * @param bandwidthFactor how many times the limited copy's duration to allow, 0 to ignore the limit
     */
    public record Policy(Duration minimum, long secondsPerGib, double bandwidthFactor) {
    }

    /**
     * @param bytesToCopy             virtual size of every disk to copy and the guest's RAM (the
     *                                same deadline bounds the RAM's wait for the switchover point)
     * @param bandwidthBytesPerSecond the user's limit, 0 for none
     */
    public static Duration of(long bytesToCopy, long bandwidthBytesPerSecond, Policy policy) {
        long proportional = (long) Math.ceil(bytesToCopy / GIB * policy.secondsPerGib());
        long limited = bandwidthBytesPerSecond > 0
                ? (long) Math.ceil(policy.bandwidthFactor() * bytesToCopy / bandwidthBytesPerSecond) : 0;
        return Duration.ofSeconds(Math.max(policy.minimum().toSeconds(), Math.max(proportional, limited)));
    }
}
