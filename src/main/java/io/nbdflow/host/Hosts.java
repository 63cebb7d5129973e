package io.nbdflow.host;

import io.nbdflow.config.IpLiteral;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.config.PortRange;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import io.nbdflow.host.ssh.SshHostConnection;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The configured hosts and the one connection to each; their state and storage folders exist
 * once this bean is created.
 */
@Component
public class Hosts implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hosts.class);

    private final List<Host> all;
    private final Map<String, HostConnection> connections;
    private final PortRange ports;
    private final Set<String> foldersPending = ConcurrentHashMap.newKeySet();

    @Autowired
    public Hosts(NbdflowProperties properties) {
        this(properties.hosts().stream()
                .map(h -> new Host(h.name(), IpLiteral.parse(h.address()),
                        Path.of(h.stateDir()).normalize(), Path.of(h.storageDir()).normalize(), h.qemuWrapper(),
                        h.imageDirs() == null ? null : h.imageDirs().stream().map(Path::of).toList(),
                        sshTarget(h), Accelerator.parse(h.accelerator()), tlsFiles(h)))
                .toList(), properties.portRange());
        all.forEach(this::createFolders);
    }

    /** Those hosts as they are: their folders are neither checked nor created. */
    public Hosts(List<Host> hosts, PortRange ports) {
        this.all = List.copyOf(hosts);
        this.connections = all.stream().collect(Collectors.toUnmodifiableMap(Host::name, Hosts::open));
        this.ports = ports;
    }

    public List<Host> all() {
        return all;
    }

    public Optional<Host> find(String name) {
        return all.stream().filter(h -> h.name().equals(name)).findFirst();
    }

    /** The host of that name, or UnknownHostNameException listing the configured ones. */
    public Host get(String name) {
        return find(name).orElseThrow(() -> new UnknownHostNameException(name,
                all.stream().map(Host::name).collect(Collectors.joining(", "))));
    }

    /** The one connection to that host, through which everything on it is done. */
    public HostConnection connection(Host host) {
        return connections.get(get(host.name()).name());
    }

    /**
     * Whether that file, every symbolic link on its way resolved on the host, lies inside one of the
     * host's image-dirs (themselves resolved too). A file that does not exist is not inside.
     */
    public boolean inImageDirs(Host host, Path file) {
        HostConnection connection = connection(host);
        Optional<Path> real = connection.realPath(file);
        if (real.isEmpty()) {
            return false;
        }
        return get(host.name()).imageDirs().stream().map(connection::realPath).flatMap(Optional::stream)
                .anyMatch(dir -> real.get().startsWith(dir) && !real.get().equals(dir));
    }

    public PortRange ports() {
        return ports;
    }

    /** This machine's hosts are reached directly, the others over SSH. */
    private static HostConnection open(Host host) {
        if (host.isRemote()) {
            return new SshHostConnection(host);
        }
        return new LocalHostConnection(host);
    }

    private static SshTarget sshTarget(NbdflowProperties.HostEntry h) {
        NbdflowProperties.SshEntry s = h.ssh();
        if (s == null) {
            return null;
        }
        return new SshTarget(s.host() == null ? h.address() : s.host(), s.port() == null ? 22 : s.port(),
                s.user() == null ? "root" : s.user(), Path.of(s.identityFile()), Path.of(s.knownHosts()));
    }

    private static TlsFiles tlsFiles(NbdflowProperties.HostEntry h) {
        NbdflowProperties.TlsEntry t = h.tls();
        return t == null ? null : new TlsFiles(Path.of(t.ca()).normalize(), Path.of(t.cert()).normalize(),
                Path.of(t.key()).normalize());
    }

    /** Closes the connections to hosts that are other machines; nothing on the hosts stops. */
    @Override
    public void close() {
        connections.values().forEach(c -> {
            if (c instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // a connection that fails to close is gone either way
                }
            }
        });
    }

    private void createFolders(Host host) {
        try {
            connection(host).createDirectories(host.stateDir());
            connection(host).createDirectories(host.storageDir());
        } catch (HostUnreachableException e) {
            if (!host.isRemote()) {
                throw e;
            }
            // one machine that is down must not keep the application from serving the others
            log.warn("host '{}' is unreachable at start-up; its folders are created once it answers: {}",
                    host.name(), e.getMessage());
            foldersPending.add(host.name());
        } catch (StorageException e) {
            throw new StorageException("cannot create the folders of host '" + host.name() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Creates the folders of the hosts that were unreachable at start-up, where they answer now
     * (called on every reconciler run). Returns the hosts whose folders were created.
     */
    public List<String> createPendingFolders() {
        List<String> created = new ArrayList<>();
        for (String name : List.copyOf(foldersPending)) {
            Host host = get(name);
            try {
                connection(host).createDirectories(host.stateDir());
                connection(host).createDirectories(host.storageDir());
                foldersPending.remove(name);
                created.add(name);
            } catch (StorageException e) {
                log.debug("folders of host '{}' still not created: {}", name, e.getMessage());
            }
        }
        return created;
    }
}
