package io.nbdflow.host;

/**
 * How QEMU is given its disks; it decides which migration transports work.
 * DRIVE: named -drive backends (drive-vda): domains start this way, and a legacy block
 * migration destination needs it. BLOCKDEV: -blockdev nodes (drive-vda): an NBD destination
 * needs it, because an incoming QEMU refuses writable exports of a -drive.
 */
public enum DiskAttachment {
    DRIVE,
    BLOCKDEV
}
