package io.nbdflow.process.undo;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/**
 * Undoes "Pre-create disks": removes exactly the files that step recorded as created (its records
 * and its journal on the destination host, never the {@code createdFiles} variable), nothing else.
 * A host that does not answer keeps the files' records: the reconciler removes them later.
 */
@Component("removePrecreatedDisksDelegate")
public class RemovePrecreatedDisksDelegate implements JavaDelegate {
    private final RecordedUndo undo;

    public RemovePrecreatedDisksDelegate(RecordedUndo undo) {
        this.undo = undo;
    }

    @Override
    public void execute(DelegateExecution execution) {
        undo.removeCreatedFiles(execution.getProcessInstanceId());
    }
}
