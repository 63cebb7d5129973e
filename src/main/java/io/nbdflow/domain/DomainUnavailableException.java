package io.nbdflow.domain;

/** The domain's QEMU is alive but its monitor does not answer (503). */
public class DomainUnavailableException extends RuntimeException {

    public DomainUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
