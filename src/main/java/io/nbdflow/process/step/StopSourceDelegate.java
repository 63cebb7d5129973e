package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/**
 * Confirm, on the source: quits the source QEMU (its disk files stay where they are; removing them
 * is a person's decision) and hands the domain to the destination host with its new files.
 */
@Component("stopSourceDelegate")
public class StopSourceDelegate implements JavaDelegate {
    private final MigrationResources resources;

    public StopSourceDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String domain = Vars.string(execution, Vars.DOMAIN);
        resources.source(execution).ifPresent(q -> resources.processes().stop(q, resources.tuning().qemuStopTimeout()));
        resources.domains().moveTo(domain, Vars.string(execution, Vars.DESTINATION_HOST),
                MigrationVariables.of(execution).plan().destinationDisks());
        resources.releaseBookkeeping(execution.getProcessInstanceId(), domain);
        execution.setVariable(Vars.OUTCOME, Vars.OUTCOME_MIGRATED);
        execution.setVariable(Vars.TOTAL_TIME_MS,
                System.currentTimeMillis() - Vars.longValue(execution, Vars.STARTED_AT, 0));
    }
}
