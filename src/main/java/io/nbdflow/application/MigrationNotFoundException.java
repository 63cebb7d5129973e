package io.nbdflow.application;

/** No storage migration has that process instance id. */
public class MigrationNotFoundException extends RuntimeException {
    public MigrationNotFoundException(String id) {
        super("no migration " + (id.length() > 64 ? id.substring(0, 64) + "... (" + id.length() + " characters)" : id));
    }
}
