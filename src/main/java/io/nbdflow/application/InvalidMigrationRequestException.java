package io.nbdflow.application;

/** A migration request refused before anything started; field names the input at fault (400). */
public class InvalidMigrationRequestException extends RuntimeException {

    private final String field;

    public InvalidMigrationRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
