package io.nbdflow.qmp;

/** Base of every failure talking to a QEMU monitor. */
public class QmpException extends Exception {

    public QmpException(String message) {
        super(message);
    }

    public QmpException(String message, Throwable cause) {
        super(message, cause);
    }
}
