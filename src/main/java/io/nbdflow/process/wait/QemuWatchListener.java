package io.nbdflow.process.wait;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.springframework.stereotype.Component;

/**
 * On the two wait activities: starts the QEMU watch once the wait is committed (a message
 * correlated earlier would find no waiting execution), stops it when the wait ends for any reason
 * (message, timeout, abort).
 */
@Component("qemuWatchListener")
public class QemuWatchListener implements ExecutionListener {
    private final QemuWatcher watcher;

    public QemuWatchListener(QemuWatcher watcher) {
        this.watcher = watcher;
    }

    @Override
    public void notify(DelegateExecution execution) {
        String executionId = execution.getId();
        if (EVENTNAME_END.equals(execution.getEventName())) {
            watcher.unwatch(executionId);
            return;
        }
        String processInstanceId = execution.getProcessInstanceId();
        String activityId = execution.getCurrentActivityId();
        Context.getCommandContext().getTransactionContext().addTransactionListener(TransactionState.COMMITTED,
                commandContext -> watcher.watch(processInstanceId, executionId, activityId));
    }
}
