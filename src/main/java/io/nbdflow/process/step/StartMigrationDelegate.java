package io.nbdflow.process.step;

import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.RamConvergence;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationTls;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.process.MigrationVariables;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/**
 * Perform: starts the RAM migration to the destination's incoming port, with
 * {@code pause-before-switchover} so the mirrors can be completed before the guest moves, and with
 * the request's downtime limit and auto-converge.
 */
@Component("startMigrationDelegate")
public class StartMigrationDelegate extends MigrationStep {
    private final MigrationResources resources;

    public StartMigrationDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        MigrationVariables variables = MigrationVariables.of(execution);
        MigrationRequest request = variables.request();
        resources.destinationMonitor(execution); // fail here, clearly, if the destination died while we waited
        QmpClient qmp = resources.sourceMonitor(execution);
        SourceSide.startMigration(qmp,
                DestinationSide.tcpUri(resources.destinationHost(execution).address().getHostAddress(),
                        variables.migrationPort()),
                request.bandwidthBytesPerSecond(), RamConvergence.of(request),
                MigrationTls.source(resources, execution, qmp));
    }
}
