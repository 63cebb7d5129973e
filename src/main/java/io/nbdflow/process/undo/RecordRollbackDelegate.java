package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.Vars;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Last step of the rollback: everything is undone; the domain is free for the next migration. */
@Component("recordRollbackDelegate")
public class RecordRollbackDelegate implements JavaDelegate {
    private final MigrationResources r;

    public RecordRollbackDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) {
        r.releaseBookkeeping(x.getProcessInstanceId(), Vars.string(x, Vars.DOMAIN));
        if (Vars.string(x, Vars.FAILURE_REASON) == null) {
            x.setVariable(Vars.FAILURE_REASON, "migration failed");
        }
        x.setVariable(Vars.OUTCOME, Vars.OUTCOME_ROLLED_BACK);
        x.setVariable(Vars.TOTAL_TIME_MS, System.currentTimeMillis() - Vars.longValue(x, Vars.STARTED_AT, 0));
    }
}
