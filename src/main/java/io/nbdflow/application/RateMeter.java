package io.nbdflow.application;

import java.util.OptionalDouble;

/**
 * Bytes per second of one growing figure (a mirror's offset, the RAM sent), smoothed: an
 * exponentially weighted average whose weight decays with a time constant of a few seconds, so a
 * figure that QEMU advances in bursts (a rate-limited mirror copies a chunk, then sleeps) still
 * gives a steady rate, and a change of pace shows within a few seconds. Readings closer together
 * than {@link #MIN_INTERVAL_NANOS} are skipped (their difference is mostly the burst pattern);
 * readings far apart give the average over the gap. Not thread-safe: its owner locks.
 */
final class RateMeter {
    static final long MIN_INTERVAL_NANOS = 250_000_000L;
    private static final double TIME_CONSTANT_SECONDS = 3.0;

    private long lastNanos;
    private long lastValue;
    private boolean seen;
    private double rate = Double.NaN;

    /**
     * Takes a reading of the figure at that time (System.nanoTime()). A figure that went back (a new
     * job, RAM pages dirtied again) is taken as the new base; the rate so far stays.
     */
    void update(long nanos, long value) {
        if (!seen || value < lastValue) {
            seen = true;
            lastNanos = nanos;
            lastValue = value;
            return;
        }
        long dt = nanos - lastNanos;
        if (dt < MIN_INTERVAL_NANOS) {
            return;
        }
        double seconds = dt / 1e9;
        double now = (value - lastValue) / seconds;
        double weight = 1 - Math.exp(-seconds / TIME_CONSTANT_SECONDS);
        rate = Double.isNaN(rate) ? now : rate + weight * (now - rate);
        lastNanos = nanos;
        lastValue = value;
    }

    /** The smoothed bytes per second; empty until two readings far enough apart were taken. */
    OptionalDouble rate() {
        return Double.isNaN(rate) ? OptionalDouble.empty() : OptionalDouble.of(rate);
    }
}
