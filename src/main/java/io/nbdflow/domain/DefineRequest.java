package io.nbdflow.domain;

import io.nbdflow.host.DiskDefinition;

import java.util.List;

/** Body of PUT /api/domains/{name}; null fields are reported as missing by the validation. */
public record DefineRequest(String host, Integer memoryMiB, Integer vcpus, List<DiskDefinition> disks) {
}
