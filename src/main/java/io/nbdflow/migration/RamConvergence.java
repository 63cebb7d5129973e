package io.nbdflow.migration;

/**
 * How QEMU may bring a RAM migration to its end: the longest pause it plans for the switchover
 * ({@code downtime-limit}: it stops the guest once what is left can be sent within it) and whether
 * it may throttle the guest's CPUs when the guest dirties memory faster than the link carries it
 * ({@code auto-converge}). Both are set on every migration, never left as they were: a source QEMU
 * keeps the values of an earlier migration that was rolled back.
 *
 * @param maxDowntimeMs the user's limit in milliseconds; 0 for QEMU's own
 * @param autoConverge  whether QEMU may throttle the guest
 */
public record RamConvergence(long maxDowntimeMs, boolean autoConverge) {
    /** QEMU's own {@code downtime-limit} (its DEFAULT_MIGRATE_SET_DOWNTIME). */
    public static final long QEMU_DOWNTIME_LIMIT_MS = 300;

    /** QEMU's defaults with throttling on: what a request that names neither field asks for. */
    public static final RamConvergence DEFAULT = new RamConvergence(0, true);

    public static RamConvergence of(MigrationRequest request) {
        return new RamConvergence(request.maxDowntimeMs(), request.autoConverge());
    }

    /** The {@code downtime-limit} to set, in milliseconds. */
    public long downtimeLimitMs() {
        return maxDowntimeMs > 0 ? maxDowntimeMs : QEMU_DOWNTIME_LIMIT_MS;
    }
}
