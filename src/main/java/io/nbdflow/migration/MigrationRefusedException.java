package io.nbdflow.migration;

/**
 * A migration that must not start: its request, its domain or the hosts do not allow it. Nothing
 * on any host has been changed when this is thrown. {@link #field()} names the input at fault;
 * the message is the whole reason as the user reads it, usually beginning with that field.
 */
public class MigrationRefusedException extends RuntimeException {
    private final String field;

    public MigrationRefusedException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The request field (or variable) at fault, e.g. {@code migrateDisks}. */
    public String field() {
        return field;
    }
}
