package io.nbdflow.process.undo;

import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.qmp.QmpTimeoutException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Undoes "Start NBD server": stops the server of the recorded destination QEMU and releases the ports. */
@Component("stopNbdServerDelegate")
public class StopNbdServerDelegate extends QemuUndo {
    private static final Logger log = LoggerFactory.getLogger(StopNbdServerDelegate.class);
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
    /**
     * A destination QEMU that does not answer (frozen, or stuck on I/O) would hold the rollback
     * here through every retry; "Stop destination", next in the rollback, stops it whole, server
     * included. Its ports stay reserved until then: the rollback releases them once nothing of
     * the migration is left.
     */
    @Override
    protected boolean monitorSilent(DelegateExecution execution, QmpTimeoutException e) {
        log.warn("migration {}: the destination's monitor did not answer ({}); its NBD server goes with its QEMU",
                execution.getProcessInstanceId(), e.getMessage());
        return false;
    }

    @Override
    protected boolean hostUnreachable(DelegateExecution execution, HostUnreachableException e) {
        return false;
    }
}
