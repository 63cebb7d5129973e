package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.QemuGoneException;

import io.nbdflow.migration.DestinationSide;
import io.nbdflow.qmp.QmpClosedException;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Undoes "Start NBD server": stops the server (and with it the exports) and releases the ports. */
@Component("stopNbdServerDelegate")
public class StopNbdServerDelegate implements JavaDelegate {
    private final MigrationResources r;

    public StopNbdServerDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) throws QmpException {
        if (r.destination(x).isPresent()) {
            try {
                DestinationSide.stopNbdServer(r.destinationMonitor(x));
            } catch (QemuGoneException | QmpClosedException ignored) {
                // died meanwhile: its server is gone with it
            }
        }
        r.ports().release(x.getProcessInstanceId());
    }
}
