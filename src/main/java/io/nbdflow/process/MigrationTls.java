package io.nbdflow.process;

import io.nbdflow.host.Host;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.TlsCredentials;
import io.nbdflow.migration.TlsPeer;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.delegate.DelegateExecution;

/**
 * The TLS of a migration's steps, decided from the recorded hosts' configuration
 * ({@link TlsCredentials#applies}), never from a process variable: the {@code encrypted}
 * variable only reports it.
 */
public final class MigrationTls {

    private MigrationTls() {
    }

    /** Whether this migration's NBD and migration streams are encrypted. */
    public static boolean encrypted(MigrationResources resources, DelegateExecution execution) {
        return TlsCredentials.applies(resources.sourceHost(execution), resources.destinationHost(execution));
    }

    /**
     * On the source QEMU: its host's credentials as TLS client, and the destination's address
     * its certificate must name; null when the migration is not encrypted.
     */
    public static TlsPeer source(MigrationResources resources, DelegateExecution execution, QmpClient qmp)
            throws QmpException {
        if (!encrypted(resources, execution)) {
            return null;
        }
        String id = load(resources, execution, qmp, resources.sourceHost(execution), TlsCredentials.Endpoint.CLIENT);
        return new TlsPeer(id, resources.destinationHost(execution).address().getHostAddress());
    }

    /**
     * On the destination QEMU: its host's credentials as TLS server, the incoming migration
     * set to require them; returns their id for the NBD server, or null when not encrypted.
     */
    public static String destination(MigrationResources resources, DelegateExecution execution, QmpClient qmp)
            throws QmpException {
        if (!encrypted(resources, execution)) {
            return null;
        }
        String id = load(resources, execution, qmp, resources.destinationHost(execution),
                TlsCredentials.Endpoint.SERVER);
        DestinationSide.requireMigrationTls(qmp, id);
        return id;
    }

    /** That host's credentials into its QEMU of the migration's domain, through the domain's folder there. */
    private static String load(MigrationResources resources, DelegateExecution execution, QmpClient qmp, Host host,
                               TlsCredentials.Endpoint endpoint) throws QmpException {
        return TlsCredentials.load(resources.hosts().connection(host), qmp,
                host.domainDir(resources.domain(execution)), endpoint);
    }
}
