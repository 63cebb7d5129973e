package io.nbdflow.process.undo;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/**
 * Undoes "Migrate": {@code migrate_cancel} on the recorded source, waits until QEMU reports it
 * over, and lets the source guest run again.
 */
@Component("cancelMigrationDelegate")
public class CancelMigrationDelegate extends QemuUndo {
    private final RecordedUndo undo;

    public CancelMigrationDelegate(RecordedUndo undo) {
        this.undo = undo;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        undo.cancelMigration(execution.getProcessInstanceId());
    }

    @Override
    protected boolean qemuStillRuns(DelegateExecution execution) {
        return undo.sourceStillRuns(execution.getProcessInstanceId());
    }
}
