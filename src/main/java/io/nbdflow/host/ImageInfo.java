package io.nbdflow.host;

/**
 * What qemu-img says about a disk image: format, virtual size (capacity) and bytes used on
 * the host (allocation), in bytes; backingFile as recorded in the image, or null.
 */
public record ImageInfo(String format, long virtualSize, long actualSize, String backingFile) {
}
