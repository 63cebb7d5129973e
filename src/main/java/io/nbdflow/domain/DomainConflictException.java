package io.nbdflow.domain;

/** The domain's state forbids the operation, e.g. redefining it while it runs (409). */
public class DomainConflictException extends RuntimeException {

    public DomainConflictException(String message) {
        super(message);
    }
}
