package io.nbdflow.host;

/**
 * The host answered with a key that is not the one listed for it (unknown or changed): it is not
 * trusted until a person compares the key's fingerprint and lists it. Unlike an unreachable host,
 * waiting does not help.
 */
public class HostKeyRefusedException extends StorageException {
    public HostKeyRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
