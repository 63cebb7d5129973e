package io.nbdflow.host;

/**
 * What to launch: the guest (its disks are the files QEMU opens, so a destination gets a spec
 * naming the destination's copies), on which host, how its disks are attached, and whether it
 * waits for an incoming migration (-incoming defer -S).
 */
public record LaunchRequest(VmSpec vm, Host host, DiskAttachment attachment, boolean incoming) {
}
