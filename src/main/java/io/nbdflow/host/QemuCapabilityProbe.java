package io.nbdflow.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Asks the running source QEMU, and a throw-away {@code -machine none} QEMU of a host's binary,
 * run on that host (the destination QEMU does not exist yet when the transport is chosen). The
 * throw-away QEMU asks for KVM and falls back to TCG ({@code -accel kvm -accel tcg}), so whether
 * KVM works there is QEMU's own answer ({@code query-kvm}), not a guess from /dev/kvm's
 * permissions. A host's binary and kernel do not change while the application runs, so each host
 * is asked once.
 */
@Component
public class QemuCapabilityProbe implements CapabilityProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    /** Negotiate, ask, quit: QEMU answers on its standard output and exits. */
    private static final String PROBE_INPUT = "{\"execute\":\"qmp_capabilities\"}\n"
            + "{\"execute\":\"query-commands\",\"id\":\"commands\"}\n"
            + "{\"execute\":\"query-kvm\",\"id\":\"kvm\"}\n"
            + "{\"execute\":\"query-version\",\"id\":\"version\"}\n"
            + "{\"execute\":\"query-machines\",\"id\":\"machines\"}\n"
            + "{\"execute\":\"quit\"}\n";

    private final String qemuBinary;
    private final Hosts hosts;
    private final Map<String, HostQemu> known = new ConcurrentHashMap<>();

    @Autowired
    public QemuCapabilityProbe(NbdflowProperties properties, Hosts hosts) {
        this(properties.qemuBinary(), hosts);
    }

    public QemuCapabilityProbe(String qemuBinary, Hosts hosts) {
        this.qemuBinary = qemuBinary;
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
        return hostQemu(destination).commands();
    }

    @Override
    public HostQemu hostQemu(Host host) {
        HostQemu q = known.get(host.name());
        if (q == null) {
            q = probe(hosts.connection(host));
            known.put(host.name(), q); // a failed probe is not kept: the next question asks again
        }
        return q;
    }

    private HostQemu probe(HostConnection host) {
        CommandResult r;
        try {
            r = host.run(List.of(qemuBinary, "-machine", "none", "-accel", "kvm", "-accel", "tcg", "-nodefaults",
                    "-display", "none", "-no-user-config", "-qmp", "stdio"), PROBE_INPUT, PROBE_TIMEOUT);
        } catch (StorageException e) {
            throw new IllegalStateException("cannot run " + qemuBinary + " on " + host.host().name() + ": "
                    + e.getMessage(), e);
        }
        Map<String, JsonNode> answers = new HashMap<>();
        for (String line : r.stdout().lines().filter(l -> !l.isBlank()).toList()) {
            JsonNode msg;
            try {
                msg = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(qemuBinary + " on " + host.host().name()
                        + " did not speak QMP: " + line, e);
            }
            if (msg.has("id") && msg.has("return")) {
                answers.put(msg.path("id").asText(), msg.path("return"));
            }
        }
        for (String id : List.of("commands", "kvm", "version", "machines")) {
            if (!answers.containsKey(id)) {
                throw new IllegalStateException(qemuBinary + " on " + host.host().name() + " answered no query-"
                        + id + (r.stderr().isBlank() ? "" : ": " + r.stderr().strip()));
            }
        }
        Set<String> commands = new TreeSet<>();
        answers.get("commands").forEach(c -> commands.add(c.path("name").asText()));
        Set<String> machines = new TreeSet<>();
        String defaultMachine = null;
        for (JsonNode m : answers.get("machines")) {
            machines.add(m.path("name").asText());
            if (m.hasNonNull("alias")) {
                machines.add(m.path("alias").asText());
                if (m.path("alias").asText().equals(HostQemu.GENERIC_MACHINE)) {
                    defaultMachine = m.path("name").asText();
                }
            }
        }
        if (defaultMachine == null && machines.contains(HostQemu.GENERIC_MACHINE)) {
            defaultMachine = HostQemu.GENERIC_MACHINE; // not an alias there: the type itself
        }
        JsonNode v = answers.get("version").path("qemu");
        String version = v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt();
        boolean kvm = answers.get("kvm").path("enabled").asBoolean(false);
        return new HostQemu(version, commands, kvm, machines, defaultMachine);
    }
}
