package io.nbdflow.process.step;

import io.nbdflow.process.DiskPlanVariable;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.PlannedDisk;
import io.nbdflow.process.Vars;

import io.nbdflow.migration.CookieXml;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.MigrationCookie;
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
    private final MigrationResources r;

    public StartNbdServerDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        String address = r.destinationHost(x).address().getHostAddress();
        QmpClient qmp = r.destinationMonitor(x);
        int nbdPort = startServer(x, qmp, address);
        try {
            for (PlannedDisk d : DiskPlanVariable.toCopy(x)) {
                DestinationSide.exportDisk(qmp, d.target());
            }
            try {
                DestinationSide.migrateIncoming(qmp, DestinationSide.tcpUri(address,
                        Vars.intValue(x, Vars.MIGRATION_PORT)));
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
        x.setVariable(Vars.COOKIE_PREPARE, CookieXml.write(new MigrationCookie(Vars.string(x, Vars.DOMAIN),
                null, r.destinationHost(x).name(), new MigrationCookie.Nbd(nbdPort, List.of()))));
    }

    private int startServer(DelegateExecution x, QmpClient qmp, String address) throws QmpException {
        int port = Vars.intValue(x, Vars.NBD_PORT);
        try {
            DestinationSide.startNbdServer(qmp, address, port);
            return port;
        } catch (QmpCommandException e) {
            if (!e.desc().contains("already running")) {
                return startOnAnotherPortIfTaken(x, qmp, address, port, e);
            }
        }
        // a redo after a crash: the destination QEMU is this migration's own and the server our earlier
        // attempt's (its port and exports maybe not as recorded): start it afresh
        DestinationSide.stopNbdServer(qmp);
        try {
            DestinationSide.startNbdServer(qmp, address, port);
            return port;
        } catch (QmpCommandException e) {
            return startOnAnotherPortIfTaken(x, qmp, address, port, e);
        }
    }

    /**
     * The port was free when it was reserved, but another program may have bound it since: then
     * trade it for another reserved port, once.
     */
    private int startOnAnotherPortIfTaken(DelegateExecution x, QmpClient qmp, String address, int port,
                                          QmpCommandException e) throws QmpException {
        if (!e.desc().contains("in use")) {
            throw e;
        }
        int other = r.ports().reserve(r.destinationHost(x).address(), x.getProcessInstanceId());
        r.ports().release(x.getProcessInstanceId(), port);
        x.setVariable(Vars.NBD_PORT, other);
        DestinationSide.startNbdServer(qmp, address, other);
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
