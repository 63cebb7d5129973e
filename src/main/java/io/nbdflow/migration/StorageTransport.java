package io.nbdflow.migration;

import java.util.Locale;

/** How the disks travel: mirrored into the destination's NBD exports, or by QEMU's own block migration. */
public enum StorageTransport {
    NBD,
    LEGACY;

    /** The lower-case word of the {@code storageTransport} variable. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The transport a {@link #value()} names. */
    public static StorageTransport fromValue(String value) {
        for (StorageTransport t : values()) {
            if (t.value().equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException("storageTransport: expected 'nbd' or 'legacy', got '" + value + "'");
    }
}
