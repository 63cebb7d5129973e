package io.nbdflow.host;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The naming rules of a domain's disks, in one place: which targets and formats nbdflow accepts,
 * and the name QEMU knows a disk by. Each caller words its own refusal; the rule is this one.
 */
public final class DiskNames {
    /** The targets a domain of nbdflow may have: virtio disks, vda, vdb, ... */
    private static final Pattern TARGET = Pattern.compile("vd[a-z]+");
    /**
     * The targets another party may name (a libvirt migration cookie lists sdb, hdc, xvda, ...): any
     * short name of lower-case letters and digits, which is still safe in QMP arguments and file names.
     */
    private static final Pattern FOREIGN_TARGET = Pattern.compile("[a-z][a-z0-9]{0,31}");
    private static final Set<String> FORMATS = Set.of("qcow2", "raw");

    private DiskNames() {
    }

    /** Whether nbdflow accepts {@code target} for a disk of its own (vd[a-z]+). */
    public static boolean isTarget(String target) {
        return target != null && TARGET.matcher(target).matches();
    }

    /** Whether {@code target} may be read from another party (wider than {@link #isTarget}). */
    public static boolean isForeignTarget(String target) {
        return target != null && FOREIGN_TARGET.matcher(target).matches();
    }

    /** Whether nbdflow handles images of that format: qcow2 or raw. */
    public static boolean isFormat(String format) {
        return format != null && FORMATS.contains(format);
    }

    /**
     * The block backend / node name QEMU knows the disk by, e.g. drive-vda: the id of its
     * {@code -drive}, or the node name of its top {@code -blockdev}. Mirrors, exports and the legacy
     * block migration all find a disk by this name, on both sides.
     */
    public static String nodeName(String target) {
        return "drive-" + target;
    }
}
