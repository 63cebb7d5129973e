package io.nbdflow.migration;

/** A disk selection or destination path that cannot be honoured; {@link #field()} names the input at fault. */
public class DiskPlanException extends RuntimeException {

    private final String field;

    public DiskPlanException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The variable or argument at fault, e.g. {@code migrateDisks}. */
    public String field() {
        return field;
    }
}
