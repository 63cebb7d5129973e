package io.nbdflow.migration;

/**
 * Which disks the user asked to copy, as given: null or blank copies every writable disk, else a
 * comma-separated list of targets (every other disk is shared). It can only be checked against
 * the domain's disks, which {@link DiskPlanner#select} does.
 *
 * @param text the {@code migrateDisks} input as given, or null
 */
public record DiskSelection(String text) {
    public static final DiskSelection EVERY_WRITABLE_DISK = new DiskSelection(null);

    /** Whether no disk was named: every writable disk is copied. */
    public boolean everyWritableDisk() {
        return text == null || text.isBlank();
    }
}
