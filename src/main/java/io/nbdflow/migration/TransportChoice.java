package io.nbdflow.migration;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.DiskNames;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * How a migration's disks travel, and why: over NBD when the source can mirror into NBD exports,
 * the destination can serve them and no tunnelled migration was asked for; else QEMU's own
 * (legacy) block migration.
 *
 * @param transport       the transport chosen
 * @param sourceCanMirror whether the source announces NBD in its cookie (it can mirror, and
 *                        tunnelling was not asked for), whatever the destination can do
 * @param whyNotNbd       for the legacy transport, the reason NBD is not used; null for NBD
 */
public record TransportChoice(StorageTransport transport, boolean sourceCanMirror, String whyNotNbd) {

    /**
     * @param sourceCommands      the source QEMU's {@code query-commands}
     * @param destinationCommands the destination QEMU's
     */
    public static TransportChoice choose(boolean tunnelled, Collection<String> sourceCommands,
                                         Collection<String> destinationCommands) {
        boolean sourceCanMirror = !tunnelled && NbdCapability.canMirrorToNbd(sourceCommands);
        if (sourceCanMirror && NbdCapability.canServeNbd(destinationCommands)) {
            return new TransportChoice(StorageTransport.NBD, true, null);
        }
        String whyNot = tunnelled ? "tunnelled migration was requested"
                : !NbdCapability.canMirrorToNbd(sourceCommands)
                ? "the source QEMU lacks " + NbdCapability.missingToMirrorToNbd(sourceCommands)
                : "the destination QEMU lacks " + NbdCapability.missingToServeNbd(destinationCommands);
        return new TransportChoice(StorageTransport.LEGACY, sourceCanMirror, whyNot);
    }

    public boolean nbd() {
        return transport == StorageTransport.NBD;
    }

    /**
     * For the legacy transport: QEMU's block migration matches disks by the name of their
     * {@code -drive} backend and copies every writable one. A disk without such a name (a domain
     * that arrived over NBD) would make the destination fail, and a selection of disks cannot be
     * honoured: both are refused.
     *
     * @param driveBackendNames the source's named {@code -drive} backends
     * @param disks             the domain's disks
     * @param toCopy            the targets selected for copying
     */
    public void requireLegacyPossible(Set<String> driveBackendNames, List<DiskDefinition> disks,
                                      Collection<String> toCopy) {
        List<String> unnamed = disks.stream().map(DiskDefinition::target)
                .filter(t -> !driveBackendNames.contains(DiskNames.nodeName(t))).toList();
        if (!unnamed.isEmpty()) {
            throw new MigrationRefusedException(MigrationRequest.DOMAIN, "NBD cannot be used (" + whyNotNbd
                    + ") and the legacy block migration cannot either: disk(s) " + unnamed + " have no named -drive "
                    + "backend (the domain arrived over NBD), which QEMU's block migration needs to match disks on "
                    + "the destination");
        }
        if (disks.stream().anyMatch(d -> !d.readonly() && !toCopy.contains(d.target()))) {
            throw new MigrationRefusedException(MigrationRequest.MIGRATE_DISKS, MigrationRequest.MIGRATE_DISKS
                    + ": NBD cannot be used (" + whyNotNbd + ") and the legacy block migration copies every writable "
                    + "disk; a selection of disks needs NBD on both sides");
        }
    }
}
