package io.nbdflow.domain;

/** No domain of that name is defined (404). */
public class DomainNotFoundException extends RuntimeException {

    public DomainNotFoundException(String name) {
        super("domain " + DomainService.quote(name) + " is not defined");
    }
}
