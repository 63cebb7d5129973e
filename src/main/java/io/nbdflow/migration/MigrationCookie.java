package io.nbdflow.migration;

import java.util.List;
import java.util.Objects;

/**
 * What source and destination tell each other, as in libvirt's migration cookie.
 *
 * @param name     domain name, required
 * @param uuid     domain UUID, may be null
 * @param hostname the writing host's name, may be null
 * @param nbd      null when the writing side lacks the NBD capability (legacy path)
 */
public record MigrationCookie(String name, String uuid, String hostname, Nbd nbd) {

    public MigrationCookie {
        Objects.requireNonNull(name, "name");
    }

    /**
     * The {@code <nbd>} element.
     *
     * @param port  the destination's NBD server port; null in the source's cookie
     * @param disks the disks the source wants copied; empty in the destination's cookie
     */
    public record Nbd(Integer port, List<NbdDisk> disks) {
        public Nbd {
            disks = disks == null ? List.of() : List.copyOf(disks);
        }
    }

    /** One disk to copy: its target name and virtual size in bytes. */
    public record NbdDisk(String target, long size) {
        public NbdDisk {
            Objects.requireNonNull(target, "target");
            if (size < 0) {
                throw new IllegalArgumentException("size must not be negative: " + size);
            }
        }
    }
}
