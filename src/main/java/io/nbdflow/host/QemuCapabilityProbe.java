package io.nbdflow.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Asks the running source QEMU, and a throw-away {@code -machine none} QEMU of the destination's
 * binary, run on the destination host (the destination QEMU does not exist yet when the transport
 * is chosen). A host's binary does not change while the application runs, so each host is asked
 * once.
 */
@Component
public class QemuCapabilityProbe implements CapabilityProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    /** Negotiate, ask, quit: QEMU answers on its standard output and exits. */
    private static final String PROBE_INPUT = "{\"execute\":\"qmp_capabilities\"}\n"
            + "{\"execute\":\"query-commands\",\"id\":\"probe\"}\n{\"execute\":\"quit\"}\n";

    private final String qemuBinary;
    private final Hosts hosts;
    private final Map<String, Set<String>> binaryCommands = new ConcurrentHashMap<>();

    public QemuCapabilityProbe(NbdflowProperties properties, Hosts hosts) {
        this.qemuBinary = properties.qemuBinary();
        this.hosts = hosts;
    }

    @Override
    public Set<String> sourceCommands(QmpClient sourceMonitor) throws QmpException {
        Set<String> names = new TreeSet<>();
        for (JsonNode c : sourceMonitor.execute("query-commands")) {
            names.add(c.path("name").asText());
        }
        return names;
    }

    @Override
    public Set<String> destinationCommands(Host destination) {
        Set<String> known = binaryCommands.get(destination.name());
        if (known == null) {
            known = probeBinary(hosts.connection(destination));
            binaryCommands.put(destination.name(), known);
        }
        return known;
    }

    private Set<String> probeBinary(HostConnection host) {
        CommandResult r;
        try {
            r = host.run(List.of(qemuBinary, "-machine", "none", "-nodefaults", "-display", "none",
                    "-no-user-config", "-qmp", "stdio"), PROBE_INPUT, PROBE_TIMEOUT);
        } catch (StorageException e) {
            throw new IllegalStateException("cannot run " + qemuBinary + " on " + host.host().name() + ": "
                    + e.getMessage(), e);
        }
        for (String line : r.stdout().lines().toList()) {
            JsonNode msg;
            try {
                msg = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(qemuBinary + " on " + host.host().name()
                        + " did not speak QMP: " + line, e);
            }
            if ("probe".equals(msg.path("id").asText())) {
                Set<String> names = new TreeSet<>();
                msg.path("return").forEach(c -> names.add(c.path("name").asText()));
                return names;
            }
        }
        throw new IllegalStateException(qemuBinary + " on " + host.host().name() + " answered no query-commands"
                + (r.stderr().isBlank() ? "" : ": " + r.stderr().strip()));
    }
}
