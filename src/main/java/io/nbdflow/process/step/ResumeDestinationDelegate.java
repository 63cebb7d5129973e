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
    private final MigrationResources r;

    public ResumeDestinationDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) throws Exception {
        QmpClient qmp = r.destinationMonitor(x);
        DestinationSide.stopNbdServer(qmp);
        String status = qmp.execute("query-status").path("status").asText();
        if (!status.equals("running")) {
            DestinationSide.resume(qmp);
        }
        r.ports().release(x.getProcessInstanceId());
    }
}
