package io.nbdflow.process.step;

import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.migration.PlannedDisk;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationTls;
import io.nbdflow.process.MigrationVariables;

import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpCommandException;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.util.List;

/**
 * Prepare: the destination's NBD server on its host address and the reserved port, one writable
 * export per copied disk (named after the disk), then the incoming migration on the second
 * port. Answers with the cookie {@code <nbd port='…'/>}.
 */
@Component("startNbdServerDelegate")
public class StartNbdServerDelegate extends MigrationStep {
    private final MigrationResources resources;

    public StartNbdServerDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        MigrationVariables variables = MigrationVariables.of(execution);
        String address = resources.destinationHost(execution).address().getHostAddress();
        QmpClient qmp = resources.destinationMonitor(execution);
        String tlsCreds = MigrationTls.destination(resources, execution, qmp);
        int nbdPort = startServer(execution, qmp, address, tlsCreds);
        try {
            for (PlannedDisk d : resources.plan(execution).toCopy()) {
                DestinationSide.exportDisk(qmp, d.target());
            }
            try {
                DestinationSide.migrateIncoming(qmp, DestinationSide.tcpUri(address, variables.migrationPort()));
            } catch (QmpCommandException e) {
                if (!e.desc().contains("already been started")) {
                    throw e;
                }
                // a redo after a crash: our earlier attempt started it, on the same reserved port
            }
        } catch (QmpException | RuntimeException e) {
            stopQuietly(qmp); // our own partial work: this step will not be compensated
            throw e;
        }
        variables.writePrepareCookie(new MigrationCookie(variables.domain(), null,
                resources.destinationHost(execution).name(), new MigrationCookie.Nbd(nbdPort, List.of())));
    }

    private int startServer(DelegateExecution execution, QmpClient qmp, String address, String tlsCreds)
            throws QmpException {
        int port = MigrationVariables.of(execution).nbdPort();
        try {
            DestinationSide.startNbdServer(qmp, address, port, tlsCreds);
            return port;
        } catch (QmpCommandException e) {
            if (!e.desc().contains("already running")) {
                return startOnAnotherPortIfTaken(execution, qmp, address, port, tlsCreds, e);
            }
        }
        // a redo after a crash: the destination QEMU is this migration's own and the server our earlier
        // attempt's (its port and exports maybe not as recorded): start it afresh
        DestinationSide.stopNbdServer(qmp);
        try {
            DestinationSide.startNbdServer(qmp, address, port, tlsCreds);
            return port;
        } catch (QmpCommandException e) {
            return startOnAnotherPortIfTaken(execution, qmp, address, port, tlsCreds, e);
        }
    }

    /**
     * The port was free when it was reserved, but another program may have bound it since: then
     * trade it for another reserved port, once.
     */
    private int startOnAnotherPortIfTaken(DelegateExecution execution, QmpClient qmp, String address, int port,
                                          String tlsCreds, QmpCommandException e) throws QmpException {
        if (!e.desc().contains("in use")) {
            throw e;
        }
        String migrationId = execution.getProcessInstanceId();
        int other = resources.ports().reserve(resources.destinationHost(execution).address(), migrationId);
        resources.ports().release(migrationId, port);
        MigrationVariables.of(execution).writeNbdPort(other);
        DestinationSide.startNbdServer(qmp, address, other, tlsCreds);
        return other;
    }

    private static void stopQuietly(QmpClient qmp) {
        try {
            DestinationSide.stopNbdServer(qmp);
        } catch (QmpException ignored) {
            // the QEMU is stopped by the undo of "Start destination" anyway
        }
    }
}
