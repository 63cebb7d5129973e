package io.nbdflow.migration;

import java.util.Locale;

/** Which part of each disk's chain is copied: the whole chain, or only the top layer. */
public enum CopyStorage {
    /** Whole chain: the destination gets a full copy. */
    ALL,
    /** Top layer only: the backing files are already present on the destination. */
    INC;

    /** The process variable's value; null or blank means the default, {@link #ALL}. */
    public static CopyStorage parse(String v) {
        if (v == null || v.isBlank()) {
            return ALL;
        }
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "all" -> ALL;
            case "inc" -> INC;
            default -> throw new IllegalArgumentException(
                    "copyStorage: expected 'all' or 'inc', got " + MigrationRequest.quote(v));
        };
    }

    /**
     * The mode a {@link #value()} names, exactly: for values this project wrote itself. A user's
     * input goes through {@link #parse}, which is lenient and refuses with a reason.
     */
    public static CopyStorage fromValue(String value) {
        for (CopyStorage c : values()) {
            if (c.value().equals(value)) {
                return c;
            }
        }
        throw new IllegalArgumentException("copyStorage: expected 'all' or 'inc', got '" + value + "'");
    }

    /** The lower-case word used in variables and cookies. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
