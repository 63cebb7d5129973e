package io.nbdflow.migration;

import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * One migration's request, checked: which domain goes where, how its disks are copied and at which
 * speed. {@link #parse} is the one place where the raw input (the process's start variables, or
 * any name-to-value lookup) is validated; a bad input is refused with a reason that begins with
 * the field's name.
 *
 * @param domain                  the domain's name
 * @param destinationHost         the configured host it moves to
 * @param copyStorage             the whole chain of each disk, or its top layer only
 * @param disks                   which disks are copied; the others are shared
 * @param bandwidthBytesPerSecond the limit for the mirrors and the RAM, in bytes per second; 0 for none
 * @param tunnelled               whether the disks must travel inside the migration stream (no NBD)
 * @param approveSwitchover       whether a person approves the switchover
 * @param keepSourceDisks         whether the source host keeps its files of the copied disks once the
 *                                domain runs on the destination (by default they are removed)
 */
public record MigrationRequest(String domain, String destinationHost, CopyStorage copyStorage, DiskSelection disks,
                               long bandwidthBytesPerSecond, boolean tunnelled, boolean approveSwitchover,
                               boolean keepSourceDisks) {
    /** The names of the request's fields, as the user gives them (and as the process stores them). */
    public static final String DOMAIN = "domain";
    public static final String DESTINATION_HOST = "destinationHost";
    public static final String COPY_STORAGE = "copyStorage";
    public static final String MIGRATE_DISKS = "migrateDisks";
    public static final String TUNNELLED = "tunnelled";
    public static final String BANDWIDTH_MIBPS = "bandwidthMiBps";
    public static final String APPROVE_SWITCHOVER = "approveSwitchover";
    public static final String KEEP_SOURCE_DISKS = "keepSourceDisks";

    private static final long MIB = 1L << 20;
    /** 1 TiB/s: beyond any link, and its bytes per second still fit QEMU's int64. */
    public static final long MAX_BANDWIDTH_MIBPS = 1L << 20;

    public MigrationRequest {
        Objects.requireNonNull(domain, DOMAIN);
        Objects.requireNonNull(destinationHost, DESTINATION_HOST);
        Objects.requireNonNull(copyStorage, COPY_STORAGE);
        disks = disks == null ? DiskSelection.EVERY_WRITABLE_DISK : disks;
        if (bandwidthBytesPerSecond < 0 || bandwidthBytesPerSecond > bytesPerSecond(MAX_BANDWIDTH_MIBPS)) {
            throw new IllegalArgumentException("bandwidth out of range: " + bandwidthBytesPerSecond + " bytes/s");
        }
    }

    /** The limit as the user gives it, in MiB/s (0 for none). */
    public long bandwidthMiBps() {
        return bandwidthBytesPerSecond / MIB;
    }

    /** MiB/s, the user's unit, to bytes per second, QEMU's. */
    public static long bytesPerSecond(long mibps) {
        return mibps * MIB;
    }

    public static MigrationRequest parse(Map<String, ?> input) {
        return parse(input::get);
    }

    /**
     * Checks the raw input, field by field in a fixed order, and refuses at the first fault.
     *
     * @param input the value of each field by its name; null for a field not given
     * @throws MigrationRefusedException naming the field at fault
     */
    public static MigrationRequest parse(Function<String, ?> input) {
        String domain = requiredText(input, DOMAIN);
        String destinationHost = requiredText(input, DESTINATION_HOST);
        CopyStorage copyStorage;
        try {
            copyStorage = CopyStorage.parse(text(input.apply(COPY_STORAGE)));
        } catch (IllegalArgumentException e) {
            throw new MigrationRefusedException(COPY_STORAGE, e.getMessage());
        }
        Object bandwidth = input.apply(BANDWIDTH_MIBPS);
        if (bandwidth != null && !(bandwidth instanceof Number)) {
            throw new MigrationRefusedException(BANDWIDTH_MIBPS,
                    BANDWIDTH_MIBPS + ": expected a number of MiB/s, got '" + bandwidth + "'");
        }
        boolean tunnelled = flag(input, TUNNELLED);
        boolean approveSwitchover = flag(input, APPROVE_SWITCHOVER);
        boolean keepSourceDisks = flag(input, KEEP_SOURCE_DISKS);
        long mibps = bandwidth == null ? 0 : ((Number) bandwidth).longValue();
        if (mibps < 0 || mibps > MAX_BANDWIDTH_MIBPS) {
            throw new MigrationRefusedException(BANDWIDTH_MIBPS, BANDWIDTH_MIBPS
                    + ": expected 0 (no limit) or a number of MiB/s up to " + MAX_BANDWIDTH_MIBPS + ", got " + mibps);
        }
        return new MigrationRequest(domain, destinationHost, copyStorage,
                new DiskSelection(text(input.apply(MIGRATE_DISKS))), bytesPerSecond(mibps), tunnelled,
                approveSwitchover, keepSourceDisks);
    }

    private static String requiredText(Function<String, ?> input, String name) {
        Object v = input.apply(name);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new MigrationRefusedException(name, name + ": required (a string), got "
                    + (v == null ? "nothing" : "'" + v + "'"));
        }
        return s.strip();
    }

    /** Absent means false. */
    private static boolean flag(Function<String, ?> input, String name) {
        Object v = input.apply(name);
        if (v != null && !(v instanceof Boolean)) {
            throw new MigrationRefusedException(name, name + ": expected true or false, got '" + v + "'");
        }
        return Boolean.TRUE.equals(v);
    }

    private static String text(Object v) {
        return v == null ? null : v.toString();
    }
}
