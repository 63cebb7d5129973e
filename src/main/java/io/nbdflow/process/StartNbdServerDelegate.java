package io.nbdflow.process;

import io.nbdflow.migration.CookieXml;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.qmp.QmpClient;
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
        int nbdPort = Vars.intValue(x, Vars.NBD_PORT);
        QmpClient qmp = r.destinationMonitor(x);
        DestinationSide.startNbdServer(qmp, address, nbdPort);
        try {
            for (PlannedDisk d : DiskPlanVariable.toCopy(x)) {
                DestinationSide.exportDisk(qmp, d.target());
            }
            DestinationSide.migrateIncoming(qmp, DestinationSide.tcpUri(address, Vars.intValue(x, Vars.MIGRATION_PORT)));
        } catch (QmpException | RuntimeException e) {
            stopQuietly(qmp); // our own partial work: this step will not be compensated
            throw e;
        }
        x.setVariable(Vars.COOKIE_PREPARE, CookieXml.write(new MigrationCookie(Vars.string(x, Vars.DOMAIN),
                null, r.destinationHost(x).name(), new MigrationCookie.Nbd(nbdPort, List.of()))));
    }

    private static void stopQuietly(QmpClient qmp) {
        try {
            DestinationSide.stopNbdServer(qmp);
        } catch (QmpException ignored) {
            // the QEMU is stopped by the undo of "Start destination" anyway
        }
    }
}
