package io.nbdflow.host;

/** A live QEMU already serves that domain folder: launching a second one is refused. */
public class QemuAlreadyRunningException extends RuntimeException {

    public QemuAlreadyRunningException(String domain, String host, long pid) {
        super("domain '" + domain + "' already has a running QEMU on host '" + host + "' (pid " + pid + ")");
    }
}
