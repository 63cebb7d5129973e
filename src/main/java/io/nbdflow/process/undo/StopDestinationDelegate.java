package io.nbdflow.process.undo;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/**
 * Undoes "Start destination": quits the destination QEMU this migration recorded (kill if it does
 * not exit) and removes its folder. A QEMU that already died counts as stopped; a process that is
 * not that domain's QEMU of the recorded pid is never signalled. A host that does not answer keeps
 * the QEMU's record: the reconciler stops it once the host answers.
 */
@Component("stopDestinationDelegate")
public class StopDestinationDelegate implements JavaDelegate {
    private final RecordedUndo undo;

    public StopDestinationDelegate(RecordedUndo undo) {
        this.undo = undo;
    }

    @Override
    public void execute(DelegateExecution execution) {
        undo.stopDestination(execution.getProcessInstanceId());
    }
}
