package io.nbdflow.migration;

import io.nbdflow.host.VmNames;

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
    /** Host names are at most 64 characters (nbdflow.hosts[].name). */
    private static final int MAX_HOST_NAME = 64;
    /** Room for every target a domain can have, comma-separated. */
    private static final int MAX_MIGRATE_DISKS = 1024;
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
        if (!VmNames.isValid(domain)) {
            throw new MigrationRefusedException(DOMAIN, DOMAIN + ": " + quote(domain)
                    + " is not a domain name (letter or digit, then letters, digits, '_', '.', '-'; at most 64)");
        }
        String destinationHost = requiredText(input, DESTINATION_HOST);
        if (destinationHost.length() > MAX_HOST_NAME) {
            throw new MigrationRefusedException(DESTINATION_HOST, DESTINATION_HOST + ": " + quote(destinationHost)
                    + " is longer than a host name (at most " + MAX_HOST_NAME + " characters)");
        }
        CopyStorage copyStorage;
        try {
            copyStorage = CopyStorage.parse(bounded(input, COPY_STORAGE, 16));
        } catch (IllegalArgumentException e) {
            throw new MigrationRefusedException(COPY_STORAGE, e.getMessage());
        }
        String migrateDisks = bounded(input, MIGRATE_DISKS, MAX_MIGRATE_DISKS);
        Object bandwidth = input.apply(BANDWIDTH_MIBPS);
        if (bandwidth != null && !(bandwidth instanceof Number)) {
            throw new MigrationRefusedException(BANDWIDTH_MIBPS,
                    BANDWIDTH_MIBPS + ": expected a number of MiB/s, got " + quote(bandwidth));
        }
        if (bandwidth != null && !isWhole((Number) bandwidth)) {
            // a silently truncated limit is not the one asked for
            throw new MigrationRefusedException(BANDWIDTH_MIBPS,
                    BANDWIDTH_MIBPS + ": expected a whole number of MiB/s, got " + bandwidth);
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
                new DiskSelection(migrateDisks), bytesPerSecond(mibps), tunnelled,
                approveSwitchover, keepSourceDisks);
    }

    private static String requiredText(Function<String, ?> input, String name) {
        Object v = input.apply(name);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new MigrationRefusedException(name, name + ": required (a string), got "
                    + (v == null ? "nothing" : quote(v)));
        }
        return s.strip();
    }

    /** Absent means false. */
    private static boolean flag(Function<String, ?> input, String name) {
        Object v = input.apply(name);
        if (v != null && !(v instanceof Boolean)) {
            throw new MigrationRefusedException(name, name + ": expected true or false, got " + quote(v));
        }
        return Boolean.TRUE.equals(v);
    }

    private static String text(Object v) {
        return v == null ? null : v.toString();
    }

    /** The text of that field, refused beyond {@code max} characters (it is stored and echoed). */
    private static String bounded(Function<String, ?> input, String name, int max) {
        String v = text(input.apply(name));
        if (v != null && v.length() > max) {
            throw new MigrationRefusedException(name, name + ": " + quote(v) + " is longer than " + max + " characters");
        }
        return v;
    }

    private static boolean isWhole(Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            return d == Math.rint(d) && !Double.isInfinite(d);
        }
        if (n instanceof java.math.BigDecimal b) {
            return b.stripTrailingZeros().scale() <= 0;
        }
        return true;
    }

    /** An input as a refusal quotes it: at most 64 characters, so that no reason repeats a huge input. */
    static String quote(Object value) {
        String s = String.valueOf(value);
        return "'" + (s.length() > 64 ? s.substring(0, 64) + "...' (" + s.length() + " characters)" : s + "'");
    }
}
