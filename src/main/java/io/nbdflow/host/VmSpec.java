package io.nbdflow.host;

import java.util.List;

/** What a QEMU is started with: the guest's name and uuid (uuid may be null), its size and its disks. */
public record VmSpec(String name, String uuid, int memoryMiB, int vcpus, List<DiskDefinition> disks) {

    public VmSpec {
        disks = disks == null ? List.of() : List.copyOf(disks);
    }
}
