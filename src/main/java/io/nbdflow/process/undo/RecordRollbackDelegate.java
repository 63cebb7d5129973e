package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.Vars;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Last step of the rollback: everything is undone; the domain is free for the next migration. */
@Component("recordRollbackDelegate")
public class RecordRollbackDelegate implements JavaDelegate {
    private final MigrationResources resources;

    public RecordRollbackDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) {
        // found by the migration's id: the domain variable may say anything by now
        resources.releaseBookkeeping(execution.getProcessInstanceId(), null);
        if (Vars.string(execution, Vars.FAILURE_REASON) == null) {
            execution.setVariable(Vars.FAILURE_REASON, "migration failed");
        }
        execution.setVariable(Vars.OUTCOME, Vars.OUTCOME_ROLLED_BACK);
        execution.setVariable(Vars.TOTAL_TIME_MS,
                System.currentTimeMillis() - Vars.longValue(execution, Vars.STARTED_AT, 0));
    }
}
