package io.nbdflow.migration;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.DiskNames;
import io.nbdflow.host.VmNames;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Every disk of a migrating domain, in the domain's order, with what happens to it: the one
 * description of the disks that each step reads (see {@link DiskPlanner} for how it is made).
 */
public record DiskPlan(List<PlannedDisk> disks) {

    public DiskPlan {
        disks = List.copyOf(disks);
    }

    /** Disks copied to the destination, in the domain's order. */
    public List<PlannedDisk> toCopy() {
        return disks.stream().filter(PlannedDisk::copy).toList();
    }

    /** Disks not copied: the destination opens the same path. */
    public List<PlannedDisk> shared() {
        return disks.stream().filter(d -> !d.copy()).toList();
    }

    public List<String> targetsToCopy() {
        return toCopy().stream().map(PlannedDisk::target).toList();
    }

    /** The virtual size of every disk to copy, in bytes. */
    public long bytesToCopy() {
        return toCopy().stream().mapToLong(PlannedDisk::size).sum();
    }

    /** The domain's disks as they are on the destination: copies at their new paths, shared disks unchanged. */
    public List<DiskDefinition> destinationDisks() {
        return disks.stream().map(PlannedDisk::onDestination).toList();
    }

    /** What the source announces in its cookie: each disk to copy with its size. */
    public List<MigrationCookie.NbdDisk> announced() {
        return toCopy().stream().map(d -> new MigrationCookie.NbdDisk(d.target(), d.size())).toList();
    }

    /**
     * The destination's check of the source's cookie: an {@code <nbd>} element must list exactly the
     * disks of this plan to copy, each with its planned size. A cookie without one (a source that
     * cannot mirror to NBD) lists nothing to check.
     *
     * @param field the variable the cookie came in, named in the refusal
     * @throws MigrationRefusedException if the cookie and the plan disagree
     */
    public void requireAnnouncedBy(MigrationCookie cookie, String field) {
        if (cookie.nbd() == null) {
            return;
        }
        Map<String, Long> announced = cookie.nbd().disks().stream()
                .collect(Collectors.toMap(MigrationCookie.NbdDisk::target, MigrationCookie.NbdDisk::size));
        for (PlannedDisk d : toCopy()) {
            Long size = announced.get(d.target());
            if (size == null) {
                throw new MigrationRefusedException(field, field + ": the source's cookie does not list disk "
                        + d.target());
            }
            if (size != d.size()) {
                throw new MigrationRefusedException(field, field + ": the source's cookie gives disk " + d.target()
                        + " " + size + " bytes, the plan " + d.size());
            }
        }
        Set<String> unplanned = new TreeSet<>(announced.keySet());
        unplanned.removeAll(targetsToCopy());
        if (!unplanned.isEmpty()) {
            throw new MigrationRefusedException(field, field + ": the source's cookie lists disk(s) " + unplanned
                    + " that the plan does not copy");
        }
    }

    /**
     * Where a copied disk goes on the destination: {@code storageDir/<domain>-<target>.<format>}.
     * Built from checked names only, never from the source's path, so nothing can point
     * outside storageDir.
     */
    public static Path destinationFile(Path storageDir, String domain, String target, String format) {
        if (!VmNames.isValid(domain)) {
            throw new MigrationRefusedException("domain", "domain: '" + domain
                    + "' cannot name a file (letters, digits, '.', '_', '-'; at most 64)");
        }
        if (!DiskNames.isTarget(target)) {
            throw new MigrationRefusedException("target", "target: '" + target + "' is not a disk target (vd[a-z]+)");
        }
        if (!DiskNames.isFormat(format)) {
            throw new MigrationRefusedException("format", "format: expected 'qcow2' or 'raw', got '" + format + "'");
        }
        Path dir = storageDir.toAbsolutePath().normalize();
        Path file = dir.resolve(domain + "-" + target + "." + format).normalize();
        if (!dir.equals(file.getParent())) { // cannot happen with the checks above; kept as a guard
            throw new MigrationRefusedException("domain", "domain: '" + domain + "' leaves the storage directory");
        }
        return file;
    }

    @Override
    public String toString() {
        return "DiskPlan[toCopy=" + targetsToCopy() + ", shared="
                + shared().stream().map(PlannedDisk::target).toList() + "]";
    }
}
