package io.nbdflow.process;

import io.nbdflow.host.Host;
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
        Host source = resources.sourceHost(execution);
        String id = TlsCredentials.load(resources.hosts().connection(source), qmp,
                source.domainDir(resources.domain(execution)), TlsCredentials.Endpoint.CLIENT);
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
        Host destination = resources.destinationHost(execution);
        String id = TlsCredentials.load(resources.hosts().connection(destination), qmp,
                destination.domainDir(resources.domain(execution)), TlsCredentials.Endpoint.SERVER);
        io.nbdflow.migration.DestinationSide.requireMigrationTls(qmp, id);
        return id;
    }
}
