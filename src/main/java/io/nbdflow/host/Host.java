package io.nbdflow.host;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * A configured host: where its QEMUs keep their state (one folder per domain) and where
 * pre-created disks go; its address is where its NBD server and incoming migration listen.
 * QEMU is launched through {@code qemuWrapper} if one is given (e.g. {@code ip netns exec vms}:
 * the host's network lives in a namespace), else directly.
 */
public record Host(String name, InetAddress address, Path stateDir, Path storageDir, List<String> qemuWrapper,
                   List<Path> imageDirs, SshTarget ssh, Accelerator accelerator, TlsFiles tls) {

    /**
     * imageDirs: the folders a domain's disk files may lie in; null or empty means the storage-dir
     * alone. ssh: null for this machine, else how to reach the other machine. accelerator: null
     * means {@link Accelerator#AUTO}. tls: null for a host without TLS credentials.
     */
    public Host {
        qemuWrapper = qemuWrapper == null ? List.of() : List.copyOf(qemuWrapper);
        imageDirs = imageDirs == null || imageDirs.isEmpty() ? List.of(storageDir)
                : imageDirs.stream().map(Path::normalize).toList();
        accelerator = accelerator == null ? Accelerator.AUTO : accelerator;
    }

    public Host(String name, InetAddress address, Path stateDir, Path storageDir, List<String> qemuWrapper,
                List<Path> imageDirs, SshTarget ssh, Accelerator accelerator) {
        this(name, address, stateDir, storageDir, qemuWrapper, imageDirs, ssh, accelerator, null);
    }

    public Host(String name, InetAddress address, Path stateDir, Path storageDir, List<String> qemuWrapper,
                List<Path> imageDirs) {
        this(name, address, stateDir, storageDir, qemuWrapper, imageDirs, null, null);
    }

    /** Whether this host has TLS credentials: NBD and migration with another such host are encrypted. */
    public boolean hasTls() {
        return tls != null;
    }

    /** Whether this host is another machine, reached over SSH. */
    public boolean isRemote() {
        return ssh != null;
    }

    public Host(String name, InetAddress address, Path stateDir, Path storageDir, List<String> qemuWrapper) {
        this(name, address, stateDir, storageDir, qemuWrapper, null);
    }

    public Host(String name, InetAddress address, Path stateDir, Path storageDir) {
        this(name, address, stateDir, storageDir, List.of());
    }

    /**
     * The folder of one domain's QEMU: monitor sockets, pid file, log. The name is checked again
     * here, where it becomes a path, whatever checked it before: nothing may lead out of state-dir.
     */
    public Path domainDir(String domain) {
        if (!VmNames.isValid(domain)) {
            throw new IllegalArgumentException("not a domain name: '" + domain + "'");
        }
        return stateDir.resolve(domain);
    }
}
