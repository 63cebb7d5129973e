package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/** Undoes "Start NBD server": stops the server of the recorded destination QEMU and releases the ports. */
@Component("stopNbdServerDelegate")
public class StopNbdServerDelegate extends QemuUndo {
    private final RecordedUndo undo;
    private final MigrationResources resources;

    public StopNbdServerDelegate(RecordedUndo undo, MigrationResources resources) {
        this.undo = undo;
        this.resources = resources;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        undo.stopNbdServer(execution.getProcessInstanceId());
    }

    @Override
    protected void afterwards(DelegateExecution execution) {
        resources.ports().release(execution.getProcessInstanceId());
    }
}
