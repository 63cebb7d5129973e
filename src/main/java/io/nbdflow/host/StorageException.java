package io.nbdflow.host;

/** qemu-img failed or an image file could not be handled; the message carries qemu-img's stderr. */
public class StorageException extends RuntimeException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
