package io.nbdflow.host;

/**
 * What qemu-img says about a disk image: format, virtual size (capacity) and bytes used on
 * the host (allocation), in bytes; backingFile as recorded in the image, or null;
 * backingPath the backing file as qemu-img resolves it (absolute), backingFormat its format.
 */
public record ImageInfo(String format, long virtualSize, long actualSize, String backingFile,
                        String backingPath, String backingFormat) {
}
