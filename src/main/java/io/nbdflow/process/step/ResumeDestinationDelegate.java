package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;

import io.nbdflow.migration.DestinationSide;
import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/**
 * Finish, on the destination: stops the NBD server and lets the guest run. Past switchover nothing
 * is rolled back, so a failure here is an incident for a person (plain exception, no BPMN error).
 */
@Component("resumeDestinationDelegate")
public class ResumeDestinationDelegate implements JavaDelegate {
    private final MigrationResources resources;

    public ResumeDestinationDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) throws Exception {
        QmpClient qmp = resources.destinationMonitor(execution);
        DestinationSide.stopNbdServer(qmp);
        String status = qmp.execute("query-status").path("status").asText();
        if (!status.equals("running")) {
            DestinationSide.resume(qmp);
        }
        resources.ports().release(execution.getProcessInstanceId());
    }
}
