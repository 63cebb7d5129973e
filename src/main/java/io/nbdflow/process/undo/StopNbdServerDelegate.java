package io.nbdflow.process.undo;

import io.nbdflow.host.HostUnreachableException;
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

    @Override
    protected boolean qemuStillRuns(DelegateExecution execution) {
        return undo.destinationStillRuns(execution.getProcessInstanceId());
    }

    /**
     * The destination does not answer: its QEMU (and the NBD server in it) is stopped once it
     * does, by the reconciler, from the destination QEMU's record; until then it may still listen
     * on the migration's ports, so they stay reserved.
     */
    @Override
    protected boolean hostUnreachable(DelegateExecution execution, HostUnreachableException e) {
        return false;
    }
}
