package io.nbdflow.domain;

/** A definition was rejected; field names the offending input, e.g. "disks[1].target" (400). */
public class DomainValidationException extends RuntimeException {

    private final String field;
    private final String detail;

    public DomainValidationException(String field, String detail) {
        super(field + ": " + detail);
        this.field = field;
        this.detail = detail;
    }

    public String field() {
        return field;
    }

    public String detail() {
        return detail;
    }
}
