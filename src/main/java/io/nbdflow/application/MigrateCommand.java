package io.nbdflow.application;

/**
 * A request to move a domain, as a client sends it: every field but the destination may be left
 * out. Nothing here is trusted: MigrationService checks it with the migration's own rules before
 * starting anything, and the migration's first step checks it again.
 */
public record MigrateCommand(String destinationHost, String copyStorage, String migrateDisks, Boolean tunnelled,
                             Long bandwidthMiBps, Boolean approveSwitchover, Boolean keepSourceDisks) {
}
