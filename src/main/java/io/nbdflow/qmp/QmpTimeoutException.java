package io.nbdflow.qmp;

/** No reply in time. The connection stays usable; a reply arriving later is discarded. */
public class QmpTimeoutException extends QmpException {

    public QmpTimeoutException(String message) {
        super(message);
    }
}
