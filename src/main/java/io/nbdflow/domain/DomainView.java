package io.nbdflow.domain;

import java.util.List;

/**
 * A domain as the API shows it: its definition, its state and what its disks hold; its machine type
 * (null before its first start) and accelerator (kvm or tcg: its running QEMU's, else what its host
 * would give it; null if that cannot be told now).
 */
public record DomainView(String name, String host, DomainState state, String uuid, int memoryMiB, int vcpus,
                         List<DiskView> disks, String machineType, String accelerator) {

    /** capacity = virtual size, allocation = bytes used on the host; null if the image cannot be read. */
    public record DiskView(String target, String file, String format, boolean readonly, Long capacity,
                           Long allocation) {
    }
}
