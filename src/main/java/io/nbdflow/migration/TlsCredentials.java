package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.CommandResult;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.StorageException;
import io.nbdflow.host.TlsFiles;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpCommandException;
import io.nbdflow.qmp.QmpException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A host's x509 credentials loaded into one of its QEMUs as a {@code tls-creds-x509} object, which
 * the NBD server and client and the migration then name. NBD and migration between two hosts are
 * encrypted exactly when both have credentials ({@link #applies}): the configuration decides, so
 * no process variable can turn encryption off.
 * <p>
 * QEMU wants the files in one folder under fixed names ({@code ca-cert.pem}, and
 * {@code server-cert.pem}/{@code server-key.pem} or {@code client-cert.pem}/{@code client-key.pem}),
 * while the configuration names them where they are. So a folder of symbolic links is made in
 * the domain's folder on the host, loaded (QEMU reads the files once, when the object is
 * created), and removed again: no copy of a private key is ever made.
 */
public final class TlsCredentials {

    /** Which side of the TLS handshake a QEMU takes: the destination serves, the source connects. */
    public enum Endpoint {
        SERVER, CLIENT;

        String qemuName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The id of our credentials object of that endpoint in a QEMU. */
        public String objectId() {
            return "nbdflow-tls-" + qemuName();
        }
    }

    private static final Duration LINK_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Makes the folder QEMU reads in one command on the host (one round trip over SSH); the paths
     * are its arguments, never part of the script.
     */
    private static final String LINK_SCRIPT = "set -e; umask 077; mkdir -p \"$1\"; ln -sfn \"$2\" \"$1/ca-cert.pem\"; "
            + "ln -sfn \"$3\" \"$1/$5-cert.pem\"; ln -sfn \"$4\" \"$1/$5-key.pem\"";

    private TlsCredentials() {
    }

    /** Whether NBD and migration between these two hosts are encrypted: both have TLS credentials. */
    public static boolean applies(Host source, Host destination) {
        return source.hasTls() && destination.hasTls();
    }

    /**
     * Loads the host's credentials into that QEMU of the domain whose folder is {@code domainDir},
     * as that endpoint; returns the object's id. An object of ours already there is replaced, so
     * that renewed files take effect, unless something still uses it (a step tried again while its
     * connection lives): then it stays as it is.
     */
    public static String load(HostConnection connection, QmpClient qmp, Path domainDir, Endpoint endpoint)
            throws QmpException {
        Host host = connection.host();
        TlsFiles files = host.tls();
        if (files == null) {
            throw new MigrationStepException("host '" + host.name() + "' has no TLS credentials");
        }
        String id = endpoint.objectId();
        if (exists(qmp, id)) {
            try {
                qmp.execute("object-del", Map.of("id", id));
            } catch (QmpCommandException inUse) {
                return id;
            }
        }
        Path dir = domainDir.resolve("tls-" + endpoint.qemuName());
        try {
            CommandResult linked = connection.run(List.of("sh", "-c", LINK_SCRIPT, "sh", dir.toString(),
                    files.ca().toString(), files.cert().toString(), files.key().toString(), endpoint.qemuName()),
                    LINK_TIMEOUT);
            if (linked.exitCode() != 0) {
                throw new StorageException("cannot prepare the TLS credentials of host '" + host.name() + "' in "
                        + dir + ": " + linked.stderr().strip());
            }
            qmp.execute("object-add", Map.of("qom-type", "tls-creds-x509", "id", id, "dir", dir.toString(),
                    "endpoint", endpoint.qemuName(), "verify-peer", true));
        } catch (QmpCommandException e) {
            if (e.desc().contains("duplicate")) {
                return id; // another step loaded it meanwhile
            }
            throw new QmpCommandException(e.command(), e.errorClass(), "TLS credentials of host '" + host.name()
                    + "' (ca " + files.ca() + ", cert " + files.cert() + ", key " + files.key() + "): " + e.desc());
        } finally {
            connection.deleteTree(dir);
        }
        return id;
    }

    private static boolean exists(QmpClient qmp, String id) throws QmpException {
        for (JsonNode o : qmp.execute("qom-list", Map.of("path", "/objects"))) {
            if (o.path("name").asText().equals(id)) {
                return true;
            }
        }
        return false;
    }
}
