package io.nbdflow.domain;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.VmSpec;

import java.util.List;

/** A domain as defined: where it lives and what QEMU it needs. The uuid is kept for its lifetime. */
public record DomainDefinition(String name, String host, int memoryMiB, int vcpus, String uuid,
                               List<DiskDefinition> disks) {

    public DomainDefinition {
        disks = disks == null ? List.of() : List.copyOf(disks);
    }

    /** The same domain on another host with other disk files (after a migration). */
    public DomainDefinition movedTo(String newHost, List<DiskDefinition> newDisks) {
        return new DomainDefinition(name, newHost, memoryMiB, vcpus, uuid, newDisks);
    }

    /** What QEMU is started with for this domain. */
    public VmSpec vm() {
        return new VmSpec(name, uuid, memoryMiB, vcpus, disks);
    }
}
