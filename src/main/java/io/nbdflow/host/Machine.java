package io.nbdflow.host;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The machine a QEMU emulates and how it runs it: a versioned machine type (e.g.
 * {@code pc-i440fx-7.2}: the same type on both sides of a migration, since the device model and
 * the migration stream depend on it) and the accelerator actually used (KVM or TCG, never AUTO).
 */
public record Machine(String type, Accelerator accelerator) {
    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public Machine {
        if (type == null || !TYPE.matcher(type).matches()) {
            throw new IllegalArgumentException("not a machine type: '" + type + "'");
        }
        if (accelerator == null || accelerator == Accelerator.AUTO) {
            throw new IllegalArgumentException("a launched QEMU needs a decided accelerator, not " + accelerator);
        }
    }

    /** Whether the text is a machine type name this record accepts. */
    public static boolean isType(String type) {
        return type != null && TYPE.matcher(type).matches();
    }

    /** The value of QEMU's {@code -machine} option. */
    public String option() {
        return type + ",accel=" + accelerator.name().toLowerCase(Locale.ROOT);
    }
}
