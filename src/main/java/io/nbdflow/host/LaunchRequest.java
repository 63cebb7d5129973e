package io.nbdflow.host;

import io.nbdflow.domain.DomainDefinition;

/**
 * What to launch: the domain as defined (its disks are the files QEMU opens, so a destination
 * gets a definition naming the destination's copies), on which host, how its disks are
 * attached, and whether it waits for an incoming migration (-incoming defer -S).
 */
public record LaunchRequest(DomainDefinition domain, Host host, DiskAttachment attachment, boolean incoming) {
}
