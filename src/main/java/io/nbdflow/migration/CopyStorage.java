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
                    "copyStorage: expected 'all' or 'inc', got '" + v + "'");
        };
    }

    /** The lower-case word used in variables and cookies. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
