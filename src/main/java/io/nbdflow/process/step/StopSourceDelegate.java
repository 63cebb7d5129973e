package io.nbdflow.process.step;

import io.nbdflow.process.DiskPlanVariable;
import io.nbdflow.process.MigrationResources;
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
    private final MigrationResources r;

    public StopSourceDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) {
        String domain = Vars.string(x, Vars.DOMAIN);
        r.source(x).ifPresent(q -> r.processes().stop(q, r.tuning().qemuStopTimeout()));
        r.domains().moveTo(domain, Vars.string(x, Vars.DESTINATION_HOST), DiskPlanVariable.destinationDisks(x));
        r.releaseBookkeeping(x.getProcessInstanceId(), domain);
        x.setVariable(Vars.OUTCOME, Vars.OUTCOME_MIGRATED);
        x.setVariable(Vars.TOTAL_TIME_MS, System.currentTimeMillis() - Vars.longValue(x, Vars.STARTED_AT, 0));
    }
}
