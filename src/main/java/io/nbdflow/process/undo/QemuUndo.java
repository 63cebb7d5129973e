package io.nbdflow.process.undo;

import io.nbdflow.process.QemuGoneException;
import io.nbdflow.qmp.QmpClosedException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * Base of the undo handlers that talk to a QEMU: a QEMU that is gone, or dies while the undo talks
 * to it, took what the undo would remove with it (jobs, migration, NBD server), so that counts as
 * done. Any other failure is left to the engine (an incident for a person).
 */
public abstract class QemuUndo implements JavaDelegate {

    /** The undo itself; may throw {@link QemuGoneException} or {@link QmpClosedException} when the QEMU is gone. */
    protected abstract void undo(DelegateExecution execution) throws Exception;

    /** What is left to do once the QEMU's part is done or found gone, e.g. give back bookkeeping. */
    protected void afterwards(DelegateExecution execution) {
    }

    @Override
    public final void execute(DelegateExecution execution) throws Exception {
        try {
            undo(execution);
        } catch (QemuGoneException | QmpClosedException gone) {
            // the QEMU died meanwhile: nothing of ours runs there any more
        }
        afterwards(execution);
    }
}
