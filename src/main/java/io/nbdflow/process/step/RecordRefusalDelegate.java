package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.Vars;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** A refused migration changed nothing on any host; only its own bookkeeping (if any) is dropped. */
@Component("recordRefusalDelegate")
public class RecordRefusalDelegate implements JavaDelegate {
    private final MigrationResources resources;

    public RecordRefusalDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) {
        // releases only what this instance holds: another migration's mark on the domain stays
        resources.releaseBookkeeping(execution.getProcessInstanceId(), null);
        execution.setVariable(Vars.OUTCOME, Vars.OUTCOME_REFUSED);
    }
}
