package io.nbdflow.process;

/**
 * One disk of the migration as the steps see it: copied disks get a file of their own on the
 * destination, shared ones keep their path. With copyStorage=inc a copied disk's destination file
 * is an overlay on the same backing file (backingFile, backingFormat), which the destination has.
 */
public record PlannedDisk(String target, String format, boolean readonly, long size,
                          String sourceFile, String destinationFile, boolean copy,
                          String backingFile, String backingFormat) {
}
