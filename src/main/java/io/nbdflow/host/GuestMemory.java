package io.nbdflow.host;

import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * How much of a guest's RAM holds anything: the resident part of the QEMU process's guest-memory
 * mapping. QEMU maps the guest's RAM as one anonymous region of exactly its size, and the kernel
 * only backs a page of it once the guest touched it; a page never touched reads as zeros, which
 * a RAM migration sends as a few bytes. So this is what a migration of the RAM will really have
 * to send (at least once), where the memory size would overstate it for a guest using little.
 */
public final class GuestMemory {
    private static final long KIB = 1024;

    private GuestMemory() {
    }

    /**
     * The resident bytes of that QEMU's guest-RAM mapping (the mapping of exactly {@code ramBytes}),
     * or empty when it cannot be told (process gone, no such mapping, unreadable).
     */
    public static OptionalLong residentBytes(HostConnection on, long pid, long ramBytes) {
        if (pid <= 0 || ramBytes <= 0) {
            return OptionalLong.empty();
        }
        try {
            return on.readString(Path.of("/proc", Long.toString(pid), "smaps"))
                    .map(smaps -> residentOfMappingSized(smaps, ramBytes))
                    .orElse(OptionalLong.empty());
        } catch (RuntimeException e) {
            return OptionalLong.empty(); // the process ended between the look and the read, or the host is away
        }
    }

    /** In {@code /proc/PID/smaps} text: the Rss of the largest-resident mapping whose Size is ramBytes. */
    static OptionalLong residentOfMappingSized(String smaps, long ramBytes) {
        long sizeKib = -1;
        long best = -1;
        for (String line : smaps.split("\n")) {
            if (line.startsWith("Size:")) {
                sizeKib = kib(line);
            } else if (line.startsWith("Rss:") && sizeKib * KIB == ramBytes) {
                best = Math.max(best, kib(line) * KIB);
            }
        }
        return best < 0 ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /** "Rss:    6144 kB" → 6144. */
    private static long kib(String line) {
        String[] parts = line.trim().split("\\s+");
        try {
            return parts.length >= 2 ? Long.parseLong(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
