package io.nbdflow.application;

/** The migration exists but cannot do what was asked in its present state (e.g. abort after the switchover). */
public class MigrationConflictException extends RuntimeException {
    public MigrationConflictException(String message) {
        super(message);
    }
}
