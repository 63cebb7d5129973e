package io.nbdflow.application;

/**
 * A request to move a domain, as a client sends it: every field but the destination may be left
 * out. The migration's first step checks it; nothing here is trusted.
 */
public record MigrateCommand(String destinationHost, String copyStorage, String migrateDisks, Boolean tunnelled,
                             Long bandwidthMiBps, Boolean approveSwitchover, Boolean keepSourceDisks) {
}
