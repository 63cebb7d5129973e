package io.nbdflow.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.nio.file.Path;

import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.host.ExecutableLookup;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.Hosts;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Health component "qemu": UP when the configured QEMU programs (nbdflow.qemu-binary,
 * qemu-img-binary, qemu-io-binary) resolve to executable files on every host, asked through each
 * host's connection; DOWN naming each one that does not (and the hosts that lack it, if others
 * have it). Looks at the files only: running QEMU here would make every health probe start
 * processes.
 */
@Component("qemuHealthIndicator")
public class QemuHealthIndicator implements HealthIndicator {

    private final Map<String, String> binaries;
    /** Host name to where a command resolves on that host. */
    private final Map<String, Function<String, Optional<Path>>> lookups;

    @Autowired
    public QemuHealthIndicator(NbdflowProperties properties, Hosts hosts) {
        this(binaries(properties), lookups(hosts));
    }

    /** binaries: property name (e.g. "qemu-img-binary") to the configured command; path: the PATH to search. */
    QemuHealthIndicator(Map<String, String> binaries, String path) {
        this(binaries, Map.of("", command -> ExecutableLookup.find(command, path)));
    }

    private QemuHealthIndicator(Map<String, String> binaries, Map<String, Function<String, Optional<Path>>> lookups) {
        this.binaries = binaries;
        this.lookups = lookups;
    }

    private static Map<String, String> binaries(NbdflowProperties p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("qemu-binary", p.qemuBinary());
        m.put("qemu-img-binary", p.qemuImgBinary());
        m.put("qemu-io-binary", p.qemuIoBinary());
        return m;
    }

    private static Map<String, Function<String, Optional<Path>>> lookups(Hosts hosts) {
        Map<String, Function<String, Optional<Path>>> m = new LinkedHashMap<>();
        for (Host h : hosts.all()) {
            HostConnection connection = hosts.connection(h);
            m.put(h.name(), connection::findExecutable);
        }
        return m;
    }

    @Override
    public Health health() {
        Map<String, String> found = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        binaries.forEach((property, command) -> {
            Optional<Path> where = Optional.empty();
            List<String> lacking = new ArrayList<>();
            for (Map.Entry<String, Function<String, Optional<Path>>> host : lookups.entrySet()) {
                Optional<Path> here = host.getValue().apply(command);
                if (here.isEmpty()) {
                    lacking.add(host.getKey());
                } else if (where.isEmpty()) {
                    where = here;
                }
            }
            if (lacking.isEmpty() && where.isPresent()) {
                found.put(property, where.get().toString());
            } else {
                missing.add("nbdflow." + property + ": '" + command + "' "
                        + (command != null && command.contains("/") ? "is not an executable file" : "is not on PATH")
                        + (where.isPresent() ? " on host " + String.join(", ", lacking) : ""));
            }
        });
        Health.Builder health = missing.isEmpty() ? Health.up() : Health.down().withDetail("missing", missing);
        return health.withDetails(found).build();
    }
}
