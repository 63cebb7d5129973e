package io.nbdflow.migration;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.Host;
import io.nbdflow.host.ImageInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Plans a migration's disks in two parts: {@link #select} checks the user's selection against the
 * domain's disks, {@link #plan} gives every disk its destination file (and, for an incremental
 * copy, its backing file). Whatever cannot be honoured is refused before any host is touched.
 */
public final class DiskPlanner {
    private static final String FIELD = MigrationRequest.MIGRATE_DISKS;

    private DiskPlanner() {
    }

    /**
     * The targets to copy, in the domain's order: every writable disk if the selection names none,
     * else the named ones (each must exist and be writable, and be named once).
     */
    public static List<String> select(String domain, List<DiskDefinition> disks, DiskSelection selection) {
        Map<String, DiskDefinition> byTarget = new LinkedHashMap<>();
        for (DiskDefinition disk : disks) {
            if (byTarget.put(disk.target(), disk) != null) {
                throw new IllegalArgumentException("domain '" + domain + "' lists disk " + disk.target() + " twice");
            }
        }
        Set<String> selected = selection.everyWritableDisk()
                ? writableTargets(disks)
                : parseSelection(domain, byTarget, selection.text());
        return disks.stream().map(DiskDefinition::target).filter(selected::contains).toList();
    }

    private static Set<String> writableTargets(List<DiskDefinition> disks) {
        Set<String> targets = new LinkedHashSet<>();
        for (DiskDefinition disk : disks) {
            if (!disk.readonly()) {
                targets.add(disk.target());
            }
        }
        return targets;
    }

    private static Set<String> parseSelection(String domain, Map<String, DiskDefinition> byTarget,
                                              String migrateDisks) {
        Set<String> selected = new LinkedHashSet<>();
        for (String entry : migrateDisks.split(",", -1)) {
            String target = entry.strip();
            if (target.isEmpty()) {
                throw new MigrationRefusedException(FIELD, FIELD + ": empty entry in '" + migrateDisks + "'");
            }
            DiskDefinition disk = byTarget.get(target);
            if (disk == null) {
                throw new MigrationRefusedException(FIELD, FIELD + ": domain '" + domain + "' has no disk '"
                        + target + "' (disks: " + String.join(", ", byTarget.keySet()) + ")");
            }
            if (disk.readonly()) {
                throw new MigrationRefusedException(FIELD, FIELD + ": " + target
                        + " is read-only; read-only disks are never copied");
            }
            if (!selected.add(target)) {
                throw new MigrationRefusedException(FIELD, FIELD + ": " + target + " is listed twice");
            }
        }
        return selected;
    }

    /**
     * The plan of every disk of the domain.
     *
     * @param images               what qemu-img says about each disk on the source, by target
     * @param toCopy               the targets to copy (from {@link #select})
     * @param presentOnDestination whether a file exists on the destination host (for an incremental
     *                             copy, whose backing file must already be there)
     */
    public static DiskPlan plan(String domain, List<DiskDefinition> disks, Map<String, ImageInfo> images,
                                Collection<String> toCopy, CopyStorage copyStorage, Host destination,
                                Predicate<Path> presentOnDestination) {
        if (toCopy.isEmpty()) {
            throw new MigrationRefusedException(FIELD, FIELD + ": nothing to copy: domain '" + domain
                    + "' has no writable disk selected");
        }
        List<PlannedDisk> planned = new ArrayList<>();
        for (DiskDefinition d : disks) {
            ImageInfo image = images.get(d.target());
            boolean copy = toCopy.contains(d.target());
            String destinationFile = copy
                    ? DiskPlan.destinationFile(destination.storageDir(), domain, d.target(), d.format()).toString()
                    : d.file();
            String backing = copy && copyStorage == CopyStorage.INC ? image.backingPath() : null;
            if (backing != null && !presentOnDestination.test(Path.of(backing))) {
                // only the top layer travels: the rest of the chain must already be on the destination
                throw new MigrationRefusedException(MigrationRequest.COPY_STORAGE, "copyStorage: 'inc' copies only "
                        + "the top layer of " + d.target() + ", but its backing file " + backing
                        + " is not present on " + destination.name());
            }
            planned.add(new PlannedDisk(d.target(), d.format(), d.readonly(), image.virtualSize(), d.file(),
                    destinationFile, copy, backing, backing == null ? null : image.backingFormat()));
        }
        return new DiskPlan(planned);
    }
}
