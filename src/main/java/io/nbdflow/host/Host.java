package io.nbdflow.host;

import java.net.InetAddress;
import java.nio.file.Path;

/**
 * A configured host: where its QEMUs keep their state (one folder per domain) and where
 * pre-created disks go; its address is where its NBD server and incoming migration listen.
 */
public record Host(String name, InetAddress address, Path stateDir, Path storageDir) {

    /** The folder of one domain's QEMU: monitor sockets, pid file, log. */
    public Path domainDir(String domain) {
        return stateDir.resolve(domain);
    }
}
