package io.nbdflow.process.step;

import io.nbdflow.process.Vars;
import io.nbdflow.process.wait.QemuWatcher;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.springframework.context.annotation.Lazy;
import org.springframework.stereotype.Component;

/**
 * An abort is recorded, not executed on the spot: the next step boundary or the watcher of the
 * current wait turns it into a rollback. Interrupting whatever runs would race a step that is
 * talking to QEMU right now (worst case the switchover itself); past the switchover the request
 * is recorded and nothing is rolled back.
 */
@Component("recordAbortRequestDelegate")
public class RecordAbortRequestDelegate implements JavaDelegate {
    private final QemuWatcher watcher;
    private final IdentityService identity;

    public RecordAbortRequestDelegate(QemuWatcher watcher, @Lazy IdentityService identity) {
        this.watcher = watcher;
        this.identity = identity;
    }

    @Override
    public void execute(DelegateExecution execution) {
        Object by = execution.getVariable("abortedBy");
        if (by == null && identity.getCurrentAuthentication() != null) {
            by = identity.getCurrentAuthentication().getUserId();
        }
        String reason = "aborted by " + (by == null ? "a message through the engine API" : by);
        execution.setVariable(Vars.ABORT_REQUESTED, true);
        execution.setVariable(Vars.ABORT_REASON, reason);
        String processInstanceId = execution.getProcessInstanceId();
        Context.getCommandContext().getTransactionContext().addTransactionListener(TransactionState.COMMITTED,
                commandContext -> watcher.abortRequested(processInstanceId, reason));
    }
}
