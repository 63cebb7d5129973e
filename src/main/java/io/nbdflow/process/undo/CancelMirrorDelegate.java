package io.nbdflow.process.undo;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/**
 * Undoes "Mirror disks": cancels the mirror jobs of this migration on its recorded source and
 * waits until QEMU dropped them. Camunda runs it once per completed instance, without that
 * instance's {@code disk} variable, so each run sweeps whatever of ours is left; the later runs
 * find nothing to do.
 */
@Component("cancelMirrorDelegate")
public class CancelMirrorDelegate extends QemuUndo {
    private final RecordedUndo undo;

    public CancelMirrorDelegate(RecordedUndo undo) {
        this.undo = undo;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        undo.cancelMirrors(execution.getProcessInstanceId());
    }

    @Override
    protected boolean qemuStillRuns(DelegateExecution execution) {
        return undo.sourceStillRuns(execution.getProcessInstanceId());
    }
}
