package io.nbdflow.domain;

import java.util.List;

/** A domain as the API shows it: its definition, its state and what its disks hold. */
public record DomainView(String name, String host, DomainState state, String uuid, int memoryMiB, int vcpus,
                         List<DiskView> disks) {

    /** capacity = virtual size, allocation = bytes used on the host; null if the image cannot be read. */
    public record DiskView(String target, String file, String format, boolean readonly, Long capacity,
                           Long allocation) {
    }
}
