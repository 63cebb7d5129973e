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
 * @param mirrorCopyMode          how the mirrors treat the guest's writes while they copy
 * @param maxDowntimeMs           the longest pause QEMU may plan for the RAM switchover; 0 for QEMU's own
 * @param autoConverge            whether QEMU may throttle the guest's CPUs when RAM does not converge
 * @param stallTimeoutSeconds     how long neither the disks nor the RAM may progress before the migration fails
 * @param requireTls              whether NBD and migration must be encrypted; null for "where both hosts have TLS"
 */
public record MigrationRequest(String domain, String destinationHost, CopyStorage copyStorage, DiskSelection disks,
                               long bandwidthBytesPerSecond, boolean tunnelled, boolean approveSwitchover,
                               boolean keepSourceDisks, MirrorCopyMode mirrorCopyMode, long maxDowntimeMs,
                               boolean autoConverge, long stallTimeoutSeconds, Boolean requireTls) {
    /** The names of the request's fields, as the user gives them (and as the process stores them). */
    public static final String DOMAIN = "domain";
    public static final String DESTINATION_HOST = "destinationHost";
    public static final String COPY_STORAGE = "copyStorage";
    public static final String MIGRATE_DISKS = "migrateDisks";
    public static final String TUNNELLED = "tunnelled";
    public static final String BANDWIDTH_MIBPS = "bandwidthMiBps";
    public static final String APPROVE_SWITCHOVER = "approveSwitchover";
    public static final String KEEP_SOURCE_DISKS = "keepSourceDisks";
    public static final String MIRROR_COPY_MODE = "mirrorCopyMode";
    public static final String MAX_DOWNTIME_MS = "maxDowntimeMs";
    public static final String AUTO_CONVERGE = "autoConverge";
    public static final String STALL_TIMEOUT_SECONDS = "stallTimeoutSeconds";
    public static final String REQUIRE_TLS = "requireTls";

    /** QEMU's own bound for {@code downtime-limit}: 2000 s. */
    public static final long MAX_DOWNTIME_LIMIT_MS = 2_000_000;
    public static final long DEFAULT_STALL_TIMEOUT_SECONDS = 120;
    /** Below this, the few seconds a healthy step may take between two looks would read as a stall. */
    public static final long MIN_STALL_TIMEOUT_SECONDS = 5;
    public static final long MAX_STALL_TIMEOUT_SECONDS = 86_400;

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
        mirrorCopyMode = mirrorCopyMode == null ? MirrorCopyMode.AUTO : mirrorCopyMode;
        if (maxDowntimeMs < 0 || maxDowntimeMs > MAX_DOWNTIME_LIMIT_MS) {
            throw new IllegalArgumentException("downtime limit out of range: " + maxDowntimeMs + " ms");
        }
        if (stallTimeoutSeconds < MIN_STALL_TIMEOUT_SECONDS || stallTimeoutSeconds > MAX_STALL_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("stall timeout out of range: " + stallTimeoutSeconds + " s");
        }
        if (bandwidthBytesPerSecond < 0 || bandwidthBytesPerSecond > bytesPerSecond(MAX_BANDWIDTH_MIBPS)) {
            throw new IllegalArgumentException("bandwidth out of range: " + bandwidthBytesPerSecond + " bytes/s");
        }
    }

    /** A request with every later field at its default: what the fields of the first version ask for. */
    public MigrationRequest(String domain, String destinationHost, CopyStorage copyStorage, DiskSelection disks,
                            long bandwidthBytesPerSecond, boolean tunnelled, boolean approveSwitchover,
                            boolean keepSourceDisks) {
        this(domain, destinationHost, copyStorage, disks, bandwidthBytesPerSecond, tunnelled, approveSwitchover,
                keepSourceDisks, MirrorCopyMode.AUTO, 0, true, DEFAULT_STALL_TIMEOUT_SECONDS, null);
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
        long mibps = wholeNumber(input, BANDWIDTH_MIBPS, "MiB/s", 0, 0, MAX_BANDWIDTH_MIBPS,
                "0 (no limit) or a number of MiB/s up to " + MAX_BANDWIDTH_MIBPS);
        boolean tunnelled = flag(input, TUNNELLED);
        boolean approveSwitchover = flag(input, APPROVE_SWITCHOVER);
        boolean keepSourceDisks = flag(input, KEEP_SOURCE_DISKS);
        MirrorCopyMode mirrorCopyMode;
        try {
            mirrorCopyMode = MirrorCopyMode.parse(bounded(input, MIRROR_COPY_MODE, 32));
        } catch (IllegalArgumentException e) {
            throw new MigrationRefusedException(MIRROR_COPY_MODE, e.getMessage());
        }
        long maxDowntimeMs = wholeNumber(input, MAX_DOWNTIME_MS, "milliseconds", 0, 0, MAX_DOWNTIME_LIMIT_MS,
                "0 (QEMU's own limit) or a number of milliseconds up to " + MAX_DOWNTIME_LIMIT_MS);
        boolean autoConverge = flag(input, AUTO_CONVERGE, true);
        long stallTimeoutSeconds = wholeNumber(input, STALL_TIMEOUT_SECONDS, "seconds", DEFAULT_STALL_TIMEOUT_SECONDS,
                MIN_STALL_TIMEOUT_SECONDS, MAX_STALL_TIMEOUT_SECONDS,
                "a number of seconds from " + MIN_STALL_TIMEOUT_SECONDS + " to " + MAX_STALL_TIMEOUT_SECONDS);
        Object requireTls = input.apply(REQUIRE_TLS);
        if (requireTls != null && !(requireTls instanceof Boolean)) {
            throw new MigrationRefusedException(REQUIRE_TLS, REQUIRE_TLS + ": expected true or false, got "
                    + quote(requireTls));
        }
        return new MigrationRequest(domain, destinationHost, copyStorage,
                new DiskSelection(migrateDisks), bytesPerSecond(mibps), tunnelled,
                approveSwitchover, keepSourceDisks, mirrorCopyMode, maxDowntimeMs, autoConverge,
                stallTimeoutSeconds, (Boolean) requireTls);
    }

    /**
     * A whole number field: absent means {@code fallback}; a fraction is refused rather than silently
     * truncated (it would not be the value asked for), and so is anything outside [min, max].
     */
    private static long wholeNumber(Function<String, ?> input, String name, String unit, long fallback,
                                    long min, long max, String expected) {
        Object v = input.apply(name);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n)) {
            throw new MigrationRefusedException(name, name + ": expected a number of " + unit + ", got " + quote(v));
        }
        if (!isWhole(n)) {
            throw new MigrationRefusedException(name, name + ": expected a whole number of " + unit + ", got " + v);
        }
        long value = n.longValue();
        if (value < min || value > max) {
            throw new MigrationRefusedException(name, name + ": expected " + expected + ", got " + value);
        }
        return value;
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
        return flag(input, name, false);
    }

    private static boolean flag(Function<String, ?> input, String name, boolean absent) {
        Object v = input.apply(name);
        if (v != null && !(v instanceof Boolean)) {
            throw new MigrationRefusedException(name, name + ": expected true or false, got " + quote(v));
        }
        return v == null ? absent : (Boolean) v;
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
