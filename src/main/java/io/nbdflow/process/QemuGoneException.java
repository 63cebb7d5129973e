package io.nbdflow.process;

/** The QEMU a step needs has exited: an expected failure (crash, kill), not something to retry. */
public class QemuGoneException extends RuntimeException {
    public QemuGoneException(String message) {
        super(message);
    }
}
