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
 */
public record MirrorOptions(String target, String nbdHost, int nbdPort, boolean topOnly, long speedBytesPerSecond) {

    public MirrorOptions {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(nbdHost, "nbdHost");
    }

    /** QEMU's {@code sync} mode for the mirror. */
    public String sync() {
        return topOnly ? "top" : "full";
    }
}
