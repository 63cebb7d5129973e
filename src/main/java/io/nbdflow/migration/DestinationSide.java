package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.DiskNames;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpCommandException;
import io.nbdflow.qmp.QmpException;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The QMP steps on the destination QEMU (libvirt's Prepare and Finish phases). Order matters: the QEMU is
 * started with {@code -incoming defer -S}, then the NBD server, then the exports, then migrate-incoming.
 */
public final class DestinationSide {

    private DestinationSide() {
    }

    public static void startNbdServer(QmpClient qmp, String address, int port) throws QmpException {
        startNbdServer(qmp, address, port, null);
    }

    /**
     * The NBD server, accepting only TLS clients whose certificate its credentials object
     * {@code tlsCreds} trusts (null: plain NBD).
     */
    public static void startNbdServer(QmpClient qmp, String address, int port, String tlsCreds) throws QmpException {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("addr", Map.of("type", "inet", "data", Map.of("host", address, "port", Integer.toString(port))));
        if (tlsCreds != null) {
            args.put("tls-creds", tlsCreds);
        }
        qmp.execute("nbd-server-start", args);
    }

    /** The incoming migration over TLS with that credentials object: set before {@link #migrateIncoming}. */
    public static void requireMigrationTls(QmpClient qmp, String tlsCreds) throws QmpException {
        qmp.execute("migrate-set-parameters", Map.of("tls-creds", tlsCreds));
    }

    /** One writable export per disk; its NBD name must be given, or it defaults to the node name. */
    public static void exportDisk(QmpClient qmp, String target) throws QmpException {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("type", "nbd");
        args.put("id", "nbdflow-export-" + target);
        args.put("node-name", DiskNames.nodeName(target));
        args.put("name", target);
        args.put("writable", true);
        qmp.execute("block-export-add", args);
    }

    public static void migrateIncoming(QmpClient qmp, String uri) throws QmpException {
        qmp.execute("migrate-incoming", Map.of("uri", uri));
    }

    /** Stops the NBD server (which drops its exports); a server not running counts as stopped. */
    /**
     * Stops the NBD server. A QEMU answers this at once; one that has not answered within
     * {@link #NBD_STOP_TIMEOUT} is stuck (frozen, or hanging on I/O), and waiting longer only
     * holds up the rollback that is about to stop that QEMU anyway.
     */
    public static void stopNbdServer(QmpClient qmp) throws QmpException {
        try {
            qmp.execute("nbd-server-stop", null, NBD_STOP_TIMEOUT);
        } catch (QmpCommandException e) {
            if (!e.desc().contains("not running")) {
                throw e;
            }
        }
    }

    static final Duration NBD_STOP_TIMEOUT = Duration.ofSeconds(10);

    public static List<String> exportNames(QmpClient qmp) throws QmpException {
        return java.util.stream.StreamSupport.stream(qmp.execute("query-block-exports").spliterator(), false)
                .map(e -> e.path("id").asText()).toList();
    }

    /**
     * Writes the disk's node to stable storage: its data and, for qcow2, the metadata QEMU still
     * holds in memory (the L2 and refcount tables). Until then a copy that the legacy block
     * migration wrote reads back empty after the destination QEMU dies, however complete the
     * migration said it was. QMP of QEMU 7.2 has no flush command; HMP's {@code qemu-io} flushes any
     * block backend ({@code -drive} id) or node ({@code -blockdev} node name) and answers nothing
     * on success, QEMU's error otherwise.
     */
    public static void flushDisk(QmpClient qmp, String target) throws QmpException {
        String node = DiskNames.nodeName(target);
        String answer = qmp.execute("human-monitor-command",
                Map.of("command-line", "qemu-io " + node + " \"flush\"")).asText();
        if (!answer.isBlank()) {
            throw new QmpCommandException("human-monitor-command", "GenericError",
                    "flush of " + node + " failed: " + answer.strip());
        }
    }

    /**
     * Every image file the QEMU has open, backing files included (the {@code file} of each block
     * node): what it really uses, whatever the process variables say.
     */
    public static Set<String> openFiles(QmpClient qmp) throws QmpException {
        Set<String> files = new TreeSet<>();
        for (JsonNode node : qmp.execute("query-named-block-nodes")) {
            collectFiles(node, files);
        }
        return files;
    }

    private static void collectFiles(JsonNode node, Set<String> files) {
        if (node.hasNonNull("file")) {
            files.add(node.path("file").asText());
        }
        for (JsonNode image = node.path("image"); !image.isMissingNode();
             image = image.path("backing-image")) {
            if (image.hasNonNull("filename")) {
                files.add(image.path("filename").asText());
            }
        }
    }

    public static void resume(QmpClient qmp) throws QmpException {
        qmp.execute("cont");
    }

    public static String tcpUri(String address, int port) {
        return "tcp:" + address + ":" + port;
    }
}
