package io.nbdflow.migration;

import java.util.Objects;

/**
 * A disk of the running source domain, as QEMU reports it.
 *
 * @param target      guest-visible name, e.g. vda
 * @param file        the image path on the source host
 * @param format      qcow2 or raw
 * @param readonly    read-only disks are never copied: the destination opens the same path
 * @param virtualSize in bytes
 */
public record SourceDisk(String target, String file, String format, boolean readonly, long virtualSize) {

    public SourceDisk {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(format, "format");
        if (virtualSize < 0) {
            throw new IllegalArgumentException("virtualSize must not be negative: " + virtualSize);
        }
    }
}
