package io.nbdflow.process.undo;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.util.List;

/**
 * First step of the rollback ("cancel running jobs on failed migration"): whatever the
 * failure interrupted, no mirror of ours and no migration may outlive it, and the guest must run.
 * Compensation covers completed steps only; a failure in the middle of "Mirror disks" leaves
 * mirrors of completed instances that no handler would see, hence this sweep before the undo.
 * The source is the recorded one ({@link RecordedUndo}).
 */
@Component("cancelSourceJobsDelegate")
public class CancelSourceJobsDelegate extends QemuUndo {
    private final RecordedUndo undo;

    public CancelSourceJobsDelegate(RecordedUndo undo) {
        this.undo = undo;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        List<String> problems = undo.cancelSourceJobs(execution.getProcessInstanceId());
        if (!problems.isEmpty()) {
            execution.setVariable("rollbackProblems", String.join("; ", problems)); // for a person, in Cockpit
        }
    }

    @Override
    protected boolean qemuStillRuns(DelegateExecution execution) {
        return undo.sourceStillRuns(execution.getProcessInstanceId());
    }
}
