package io.nbdflow.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.springframework.stereotype.Component;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Asks the running source QEMU, and a throw-away {@code -machine none} QEMU of the destination's
 * binary (the destination QEMU does not exist yet when the transport is chosen). The binary's
 * answer does not change while the application runs, so it is asked once.
 */
@Component
public class QemuCapabilityProbe implements CapabilityProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String qemuBinary;
    private volatile Set<String> binaryCommands;

    public QemuCapabilityProbe(NbdflowProperties properties) {
        this.qemuBinary = properties.qemuBinary();
    }

    @Override
    public Set<String> sourceCommands(QmpClient sourceMonitor) throws QmpException {
        return SourceSide.commands(sourceMonitor);
    }

    @Override
    public Set<String> destinationCommands(Host destination) {
        Set<String> known = binaryCommands;
        if (known == null) {
            known = probeBinary();
            binaryCommands = known;
        }
        return known;
    }

    private Set<String> probeBinary() {
        ProcessBuilder pb = new ProcessBuilder(qemuBinary, "-machine", "none", "-nodefaults", "-display", "none",
                "-no-user-config", "-qmp", "stdio").redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            Process p = pb.start();
            try (OutputStream in = p.getOutputStream();
                 BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                in.write(("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-commands\",\"id\":\"probe\"}\n"
                        + "{\"execute\":\"quit\"}\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                String line;
                while ((line = out.readLine()) != null) {
                    JsonNode msg = JSON.readTree(line);
                    if ("probe".equals(msg.path("id").asText())) {
                        Set<String> names = new TreeSet<>();
                        msg.path("return").forEach(c -> names.add(c.path("name").asText()));
                        return names;
                    }
                }
            } finally {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            throw new IllegalStateException(qemuBinary + " answered no query-commands");
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + qemuBinary + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing " + qemuBinary, e);
        }
    }
}
