package io.nbdflow.migration;

/** Every port of the configured range is reserved or in use on the address asked for. */
public class PortsExhaustedException extends RuntimeException {

    public PortsExhaustedException(String message) {
        super(message);
    }
}
