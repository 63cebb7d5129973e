package io.nbdflow.host;

/**
 * The host could not be reached at all (no connection, or the connection was lost during the
 * call): nothing is known about what happened there, unlike a command that ran and failed. A QEMU
 * on that host may well be alive; whoever undoes something there must try again later.
 */
public class HostUnreachableException extends StorageException {
    public HostUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
