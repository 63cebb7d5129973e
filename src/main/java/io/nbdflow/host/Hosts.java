package io.nbdflow.host;

import io.nbdflow.config.IpLiteral;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.config.PortRange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.springframework.stereotype.Component;

/** The configured hosts; their state and storage folders exist once this bean is created. */
@Component
public class Hosts {

    private final List<Host> all;
    private final Map<String, HostConnection> connections;
    private final PortRange ports;

    public Hosts(NbdflowProperties properties) {
        this.all = properties.hosts().stream()
                .map(h -> new Host(h.name(), IpLiteral.parse(h.address()),
                        Path.of(h.stateDir()).normalize(), Path.of(h.storageDir()).normalize(), h.qemuWrapper()))
                .toList();
        this.connections = all.stream().collect(Collectors.toUnmodifiableMap(Host::name, LocalHostConnection::new));
        this.ports = properties.portRange();
        all.forEach(Hosts::createFolders);
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

    public PortRange ports() {
        return ports;
    }

    private static void createFolders(Host host) {
        try {
            Files.createDirectories(host.stateDir());
            Files.createDirectories(host.storageDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folders of host '" + host.name() + "': " + e, e);
        }
    }
}
