package io.nbdflow.migration;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which of a domain's disks are copied to the destination and which are shared
 * (the destination opens the same path). Both lists keep the domain's disk order.
 */
public final class DiskPlan {

    private static final String FIELD = "migrateDisks";
    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern TARGET = Pattern.compile("vd[a-z]+");
    private static final Set<String> FORMATS = Set.of("qcow2", "raw");

    private final List<SourceDisk> toCopy;
    private final List<SourceDisk> shared;

    private DiskPlan(List<SourceDisk> toCopy, List<SourceDisk> shared) {
        this.toCopy = List.copyOf(toCopy);
        this.shared = List.copyOf(shared);
    }

    /**
     * @param migrateDisks null or blank: every writable disk is copied; else the
     *                     comma-separated targets to copy, all others are shared
     */
    public static DiskPlan of(String domain, List<SourceDisk> disks, String migrateDisks) {
        Map<String, SourceDisk> byTarget = new LinkedHashMap<>();
        for (SourceDisk disk : disks) {
            if (byTarget.put(disk.target(), disk) != null) {
                throw new IllegalArgumentException("domain '" + domain + "' lists disk "
                        + disk.target() + " twice");
            }
        }
        Set<String> selected = migrateDisks == null || migrateDisks.isBlank()
                ? writableTargets(disks)
                : parseSelection(domain, byTarget, migrateDisks);

        List<SourceDisk> copy = new ArrayList<>();
        List<SourceDisk> share = new ArrayList<>();
        for (SourceDisk disk : disks) {
            (selected.contains(disk.target()) ? copy : share).add(disk);
        }
        return new DiskPlan(copy, share);
    }

    private static Set<String> writableTargets(List<SourceDisk> disks) {
        Set<String> targets = new LinkedHashSet<>();
        for (SourceDisk disk : disks) {
            if (!disk.readonly()) {
                targets.add(disk.target());
            }
        }
        return targets;
    }

    private static Set<String> parseSelection(String domain, Map<String, SourceDisk> byTarget,
                                              String migrateDisks) {
        Set<String> selected = new LinkedHashSet<>();
        for (String entry : migrateDisks.split(",", -1)) {
            String target = entry.strip();
            if (target.isEmpty()) {
                throw new DiskPlanException(FIELD, FIELD + ": empty entry in '" + migrateDisks + "'");
            }
            SourceDisk disk = byTarget.get(target);
            if (disk == null) {
                throw new DiskPlanException(FIELD, FIELD + ": domain '" + domain + "' has no disk '"
                        + target + "' (disks: " + String.join(", ", byTarget.keySet()) + ")");
            }
            if (disk.readonly()) {
                throw new DiskPlanException(FIELD, FIELD + ": " + target
                        + " is read-only; read-only disks are never copied");
            }
            if (!selected.add(target)) {
                throw new DiskPlanException(FIELD, FIELD + ": " + target + " is listed twice");
            }
        }
        return selected;
    }

    /** Disks mirrored to the destination, in the domain's order. */
    public List<SourceDisk> toCopy() {
        return toCopy;
    }

    /** Disks not copied: the destination opens the same path. */
    public List<SourceDisk> shared() {
        return shared;
    }

    /**
     * Where a copied disk goes on the destination: {@code storageDir/<domain>-<target>.<format>}.
     * Built from checked names only, never from the source's path, so nothing can point
     * outside storageDir.
     */
    public static Path destinationFile(Path storageDir, String domain, String target, String format) {
        if (domain == null || !DOMAIN.matcher(domain).matches()) {
            throw new DiskPlanException("domain", "domain: '" + domain
                    + "' cannot name a file (letters, digits, '.', '_', '-'; at most 64)");
        }
        if (target == null || !TARGET.matcher(target).matches()) {
            throw new DiskPlanException("target", "target: '" + target + "' is not a disk target (vd[a-z]+)");
        }
        if (format == null || !FORMATS.contains(format)) {
            throw new DiskPlanException("format", "format: expected 'qcow2' or 'raw', got '" + format + "'");
        }
        Path dir = storageDir.toAbsolutePath().normalize();
        Path file = dir.resolve(domain + "-" + target + "." + format).normalize();
        if (!dir.equals(file.getParent())) { // cannot happen with the checks above; kept as a guard
            throw new DiskPlanException("domain", "domain: '" + domain + "' leaves the storage directory");
        }
        return file;
    }

    @Override
    public String toString() {
        return "DiskPlan[toCopy=" + targets(toCopy) + ", shared=" + targets(shared) + "]";
    }

    private static List<String> targets(List<SourceDisk> disks) {
        return disks.stream().map(SourceDisk::target).toList();
    }
}
