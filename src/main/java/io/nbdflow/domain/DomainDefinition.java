package io.nbdflow.domain;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.VmSpec;

import java.util.List;

/**
 * A domain as defined: where it lives and what QEMU it needs. The uuid is kept for its lifetime, and
 * so is its machine type once its first start has chosen one (null until then): the guest sees the
 * same hardware wherever it runs.
 */
public record DomainDefinition(String name, String host, int memoryMiB, int vcpus, String uuid,
                               List<DiskDefinition> disks, String machineType) {

    public DomainDefinition {
        disks = disks == null ? List.of() : List.copyOf(disks);
    }

    public DomainDefinition(String name, String host, int memoryMiB, int vcpus, String uuid,
                            List<DiskDefinition> disks) {
        this(name, host, memoryMiB, vcpus, uuid, disks, null);
    }

    /** The same domain on another host with other disk files (after a migration). */
    public DomainDefinition movedTo(String newHost, List<DiskDefinition> newDisks) {
        return new DomainDefinition(name, newHost, memoryMiB, vcpus, uuid, newDisks, machineType);
    }

    /** The same domain with that machine type recorded. */
    public DomainDefinition withMachineType(String type) {
        return new DomainDefinition(name, host, memoryMiB, vcpus, uuid, disks, type);
    }

    /** What QEMU is started with for this domain. */
    public VmSpec vm() {
        return new VmSpec(name, uuid, memoryMiB, vcpus, disks);
    }
}
