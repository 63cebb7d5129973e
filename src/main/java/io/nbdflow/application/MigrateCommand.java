package io.nbdflow.application;

/**
 * A request to move a domain, as a client sends it: every field but the destination may be left
 * out. Nothing here is trusted: MigrationService checks it with the migration's own rules before
 * starting anything, and the migration's first step checks it again.
 */
public record MigrateCommand(String destinationHost, String copyStorage, String migrateDisks, Boolean tunnelled,
                             Long bandwidthMiBps, Boolean approveSwitchover, Boolean keepSourceDisks,
                             String mirrorCopyMode, Long maxDowntimeMs, Boolean autoConverge,
                             Long stallTimeoutSeconds, Boolean requireTls) {
    /** A command with only the fields of the first version; the later ones at their defaults. */
    public MigrateCommand(String destinationHost, String copyStorage, String migrateDisks, Boolean tunnelled,
                          Long bandwidthMiBps, Boolean approveSwitchover, Boolean keepSourceDisks) {
        this(destinationHost, copyStorage, migrateDisks, tunnelled, bandwidthMiBps, approveSwitchover,
                keepSourceDisks, null, null, null, null, null);
    }
}
