package io.nbdflow.process.undo;

import io.nbdflow.migration.DestinationSide;
import io.nbdflow.process.MigrationResources;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/** Undoes "Start NBD server": stops the server (and with it the exports) and releases the ports. */
@Component("stopNbdServerDelegate")
public class StopNbdServerDelegate extends QemuUndo {
    private final MigrationResources resources;

    public StopNbdServerDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        if (resources.destination(execution).isPresent()) {
            DestinationSide.stopNbdServer(resources.destinationMonitor(execution));
        }
    }

    @Override
    protected void afterwards(DelegateExecution execution) {
        resources.ports().release(execution.getProcessInstanceId());
    }
}
