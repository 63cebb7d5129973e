package io.nbdflow.migration;

import io.nbdflow.host.DiskNames;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpCommandException;
import io.nbdflow.qmp.QmpException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The QMP steps on the destination QEMU (libvirt's Prepare and Finish phases). Order matters: the QEMU is
 * started with {@code -incoming defer -S}, then the NBD server, then the exports, then migrate-incoming.
 */
public final class DestinationSide {

    private DestinationSide() {
    }

    public static void startNbdServer(QmpClient qmp, String address, int port) throws QmpException {
        qmp.execute("nbd-server-start", Map.of("addr", Map.of("type", "inet",
                "data", Map.of("host", address, "port", Integer.toString(port)))));
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
    public static void stopNbdServer(QmpClient qmp) throws QmpException {
        try {
            qmp.execute("nbd-server-stop");
        } catch (QmpCommandException e) {
            if (!e.desc().contains("not running")) {
                throw e;
            }
        }
    }

    public static List<String> exportNames(QmpClient qmp) throws QmpException {
        return java.util.stream.StreamSupport.stream(qmp.execute("query-block-exports").spliterator(), false)
                .map(e -> e.path("id").asText()).toList();
    }

    public static void resume(QmpClient qmp) throws QmpException {
        qmp.execute("cont");
    }

    public static String tcpUri(String address, int port) {
        return "tcp:" + address + ":" + port;
    }
}
