package io.nbdflow.migration;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.DiskNames;

import java.util.Objects;

/**
 * One disk of a migration, as every step sees it. A copied disk gets a file of its own on the
 * destination, created with the same format and virtual size; a shared one keeps its path. With
 * copyStorage=inc a copied disk's destination file is an overlay on the same backing file
 * (backingFile, backingFormat), which the destination already has.
 *
 * @param target          guest-visible name, e.g. vda
 * @param format          qcow2 or raw
 * @param readonly        read-only disks are never copied
 * @param size            virtual size in bytes, as qemu-img reports it on the source
 * @param sourceFile      the image on the source host
 * @param destinationFile the image the destination QEMU opens: the copy, or the same path if shared
 * @param copy            whether the disk is copied
 * @param backingFile     for an incremental copy, the backing file the copy is an overlay on; else null
 * @param backingFormat   that backing file's format; else null
 */
public record PlannedDisk(String target, String format, boolean readonly, long size, String sourceFile,
                          String destinationFile, boolean copy, String backingFile, String backingFormat) {

    public PlannedDisk {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(sourceFile, "sourceFile");
        Objects.requireNonNull(destinationFile, "destinationFile");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
    }

    /** The name QEMU knows the disk by on both sides (see {@link DiskNames#nodeName}). */
    public String nodeName() {
        return DiskNames.nodeName(target);
    }

    /** The disk as the domain has it on the destination. */
    public DiskDefinition onDestination() {
        return new DiskDefinition(target, destinationFile, format, readonly);
    }
}
