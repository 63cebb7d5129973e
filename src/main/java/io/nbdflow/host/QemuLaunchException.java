package io.nbdflow.host;

/** QEMU could not be started, or did not answer on its monitor; the message carries its log's tail. */
public class QemuLaunchException extends RuntimeException {

    public QemuLaunchException(String message) {
        super(message);
    }

    public QemuLaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
