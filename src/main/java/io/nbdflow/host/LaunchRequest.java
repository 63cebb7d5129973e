package io.nbdflow.host;

/**
 * What to launch: the guest (its disks are the files QEMU opens, so a destination gets a spec
 * naming the destination's copies), on which host, which machine type with which accelerator,
 * how its disks are attached, and whether it waits for an incoming migration (-incoming defer -S).
 */
public record LaunchRequest(VmSpec vm, Host host, Machine machine, DiskAttachment attachment, boolean incoming) {

    public LaunchRequest {
        if (machine == null) {
            throw new IllegalArgumentException("a launch needs a machine");
        }
    }
}
