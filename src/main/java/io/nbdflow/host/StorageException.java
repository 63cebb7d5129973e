package io.nbdflow.host;

/**
 * qemu-img failed, or a file or program of a host could not be handled; the message carries
 * qemu-img's stderr or what the host reported.
 */
public class StorageException extends RuntimeException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
