package io.nbdflow.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.nio.file.Path;

import io.nbdflow.config.NbdflowProperties;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Health component "qemu": UP when the configured QEMU programs (nbdflow.qemu-binary,
 * qemu-img-binary, qemu-io-binary) resolve to executable files, DOWN naming each one that does
 * not. Looks at the files only: running QEMU here would make every health probe start processes.
 */
@Component("qemuHealthIndicator")
public class QemuHealthIndicator implements HealthIndicator {

    private final Map<String, String> binaries;
    private final String path;

    @Autowired
    public QemuHealthIndicator(NbdflowProperties properties) {
        this(binaries(properties), System.getenv("PATH"));
    }

    /** binaries: property name (e.g. "qemu-img-binary") to the configured command. */
    QemuHealthIndicator(Map<String, String> binaries, String path) {
        this.binaries = binaries;
        this.path = path;
    }

    private static Map<String, String> binaries(NbdflowProperties p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("qemu-binary", p.qemuBinary());
        m.put("qemu-img-binary", p.qemuImgBinary());
        m.put("qemu-io-binary", p.qemuIoBinary());
        return m;
    }

    @Override
    public Health health() {
        Map<String, String> found = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        binaries.forEach((property, command) -> {
            Optional<Path> where = ExecutableLookup.find(command, path);
            if (where.isPresent()) {
                found.put(property, where.get().toString());
            } else {
                missing.add("nbdflow." + property + ": '" + command + "' "
                        + (command != null && command.contains("/") ? "is not an executable file" : "is not on PATH"));
            }
        });
        Health.Builder health = missing.isEmpty() ? Health.up() : Health.down().withDetail("missing", missing);
        return health.withDetails(found).build();
    }
}
