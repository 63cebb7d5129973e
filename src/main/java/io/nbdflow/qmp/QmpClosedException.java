package io.nbdflow.qmp;

/** The monitor connection is gone (QEMU exited, the socket closed, or the client was closed). */
public class QmpClosedException extends QmpException {

    public QmpClosedException(String message) {
        super(message);
    }

    public QmpClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
