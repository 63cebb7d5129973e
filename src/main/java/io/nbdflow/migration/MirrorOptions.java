package io.nbdflow.migration;

import java.util.Objects;

/**
 * How one disk is mirrored into the destination's NBD export of it.
 *
 * @param target              the disk, e.g. vda; also the name of its export
 * @param nbdHost             the destination's NBD server address
 * @param nbdPort             and port
 * @param topOnly             only the top layer (copyStorage=inc: the backing chain is on the destination already)
 * @param speedBytesPerSecond the mirror's speed limit, 0 for none
 * @param copyMode            background or write-blocking ({@link MirrorCopyMode#AUTO} is decided before, see
 *                            {@link CopyModeChoice})
 */
public record MirrorOptions(String target, String nbdHost, int nbdPort, boolean topOnly, long speedBytesPerSecond,
                            MirrorCopyMode copyMode) {

    public MirrorOptions {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(nbdHost, "nbdHost");
        Objects.requireNonNull(copyMode, "copyMode");
        if (copyMode == MirrorCopyMode.AUTO) {
            throw new IllegalArgumentException("copyMode: QEMU knows only background and write-blocking");
        }
    }

    /** A mirror in QEMU's default copy mode, background. */
    public MirrorOptions(String target, String nbdHost, int nbdPort, boolean topOnly, long speedBytesPerSecond) {
        this(target, nbdHost, nbdPort, topOnly, speedBytesPerSecond, MirrorCopyMode.BACKGROUND);
    }

    /** QEMU's {@code sync} mode for the mirror. */
    public String sync() {
        return topOnly ? "top" : "full";
    }
}
