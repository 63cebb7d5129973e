package io.nbdflow.migration;

import io.nbdflow.host.DiskDefinition;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which of the source host's files a finished migration leaves behind as no longer the domain's:
 * the images of the copied disks, which the domain has on the destination now. Each rule keeps a
 * file that may still be somebody's:
 * <ul>
 * <li>only a file the domain's definition named on the source host before the migration (never a
 * path from a process variable), and only its top image: a backing file may be shared;</li>
 * <li>only a disk that was copied and is writable: a shared or read-only disk is the same file on
 * both hosts;</li>
 * <li>never a file the destination QEMU has open, as an image or a backing file: what it really
 * uses beats what the plan says;</li>
 * <li>only a file below one of the source host's image folders, where a domain's disks may lie
 * (checked here by its path; the caller also checks it with every symbolic link resolved).</li>
 * </ul>
 */
public final class SourceCopies {

    private SourceCopies() {
    }

    /**
     * @param sourceDisks       the domain's disks as its definition named them on the source host
     * @param copiedTargets     the targets the migration copied
     * @param openOnDestination every file the destination QEMU has open
     * @param sourceImageDirs   the source host's image folders
     * @return the files to remove, in the domain's order
     */
    public static List<Path> removable(List<DiskDefinition> sourceDisks, Collection<String> copiedTargets,
                                       Set<String> openOnDestination, Collection<Path> sourceImageDirs) {
        Set<Path> open = new HashSet<>();
        openOnDestination.forEach(f -> open.add(Path.of(f).toAbsolutePath().normalize()));
        List<Path> files = new ArrayList<>();
        for (DiskDefinition d : sourceDisks) {
            if (d.readonly() || !copiedTargets.contains(d.target()) || d.file() == null) {
                continue;
            }
            Path file = Path.of(d.file());
            if (!file.isAbsolute()) {
                continue;
            }
            file = file.normalize();
            Path candidate = file;
            if (sourceImageDirs.stream().anyMatch(dir -> below(candidate, dir)) && !open.contains(file)) {
                files.add(file);
            }
        }
        return files;
    }

    /** Whether the path lies inside the folder (not the folder itself), compared as normalized paths. */
    public static boolean below(Path path, Path folder) {
        Path p = path.toAbsolutePath().normalize();
        Path f = folder.toAbsolutePath().normalize();
        return p.startsWith(f) && !p.equals(f);
    }
}
