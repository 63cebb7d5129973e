package io.nbdflow.migration;

import java.util.Locale;

/**
 * How each disk's mirror treats the guest's writes while it copies. In the background a write only
 * marks its area dirty for a later pass, so a guest writing faster than the mirror copies never lets
 * it catch up; write-blocking also writes it to the destination before the guest sees it completed,
 * so the mirror always converges, at the cost of the guest's write latency.
 */
public enum MirrorCopyMode {
    /** QEMU's default: guest writes are copied by later passes. */
    BACKGROUND("background"),
    /** QEMU's {@code write-blocking} copy mode: each guest write also goes to the destination at once. */
    WRITE_BLOCKING("write-blocking"),
    /** nbdflow chooses per migration (see the README's "Mirror copy mode"). */
    AUTO("auto");

    private final String value;

    MirrorCopyMode(String value) {
        this.value = value;
    }

    /** The variable's value as the user gives it; null or blank means the default, {@link #AUTO}. */
    public static MirrorCopyMode parse(String v) {
        if (v == null || v.isBlank()) {
            return AUTO;
        }
        String word = v.strip().toLowerCase(Locale.ROOT);
        for (MirrorCopyMode m : values()) {
            if (m.value.equals(word)) {
                return m;
            }
        }
        throw new IllegalArgumentException(MigrationRequest.MIRROR_COPY_MODE
                + ": expected 'background', 'write-blocking' or 'auto', got " + MigrationRequest.quote(v));
    }

    /** The mode a {@link #value()} names, exactly: for values this project wrote itself. */
    public static MirrorCopyMode fromValue(String value) {
        for (MirrorCopyMode m : values()) {
            if (m.value.equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException(MigrationRequest.MIRROR_COPY_MODE
                + ": expected 'background', 'write-blocking' or 'auto', got '" + value + "'");
    }

    /** The word used in variables, forms and QEMU's {@code copy-mode} (for the two QEMU knows). */
    public String value() {
        return value;
    }
}
