package io.nbdflow.process.undo;

import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.process.QemuGoneException;
import io.nbdflow.qmp.QmpClosedException;
import io.nbdflow.qmp.QmpTimeoutException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * Base of the undo handlers that talk to a QEMU: a QEMU that is gone, or dies while the undo talks
 * to it, took what the undo would remove with it (jobs, migration, NBD server), so that counts as
 * done. A closed monitor alone does not prove that for a host reached over SSH (the connection may
 * have dropped while QEMU runs on): its host is asked first, and a QEMU still running there, or a
 * host that does not answer, is not "gone". Any other failure is left to the engine (the job tries
 * again, then an incident for a person).
 */
public abstract class QemuUndo implements JavaDelegate {

    /** The undo itself; may throw {@link QemuGoneException} or {@link QmpClosedException} when the QEMU is gone. */
    protected abstract void undo(DelegateExecution execution) throws Exception;

    /** What is left to do once the QEMU's part is done or found gone, e.g. give back bookkeeping. */
    protected void afterwards(DelegateExecution execution) {
    }

    /**
     * Whether this undo's QEMU still runs, asked of its host after its monitor closed; false if it
     * is gone. HostUnreachableException if the host does not answer.
     */
    protected abstract boolean qemuStillRuns(DelegateExecution execution);

    /**
     * The host of this undo's QEMU does not answer. By default the job tries again (an undo on the
     * source cannot be skipped: the guest must run on without our jobs). Returns whether
     * {@link #afterwards} still runs.
     */
    protected boolean hostUnreachable(DelegateExecution execution, HostUnreachableException e) {
        throw e;
    }

    /**
     * This undo's QEMU runs but its monitor did not answer in time (frozen, or stuck on I/O). By
     * default the job tries again. Returns whether {@link #afterwards} still runs.
     */
    protected boolean monitorSilent(DelegateExecution execution, QmpTimeoutException e) throws QmpTimeoutException {
        throw e;
    }

    @Override
    public final void execute(DelegateExecution execution) throws Exception {
        try {
            undo(execution);
        } catch (QmpTimeoutException silent) {
            if (!monitorSilent(execution, silent)) {
                return;
            }
        } catch (QemuGoneException gone) {
            // the QEMU died meanwhile: nothing of ours runs there any more
        } catch (QmpClosedException closed) {
            try {
                if (qemuStillRuns(execution)) {
                    throw closed; // only the connection to its monitor dropped: the job tries again
                }
            } catch (HostUnreachableException e) {
                if (!hostUnreachable(execution, e)) {
                    return;
                }
            }
        } catch (HostUnreachableException e) {
            if (!hostUnreachable(execution, e)) {
                return;
            }
        }
        afterwards(execution);
    }
}
