package io.nbdflow.migration;

/** A migration step found QEMU in a state that makes going on wrong; the message says which. */
public class MigrationStepException extends RuntimeException {
    public MigrationStepException(String message) {
        super(message);
    }
}
