package io.nbdflow.process.step;

import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.MirrorOptions;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationTls;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/** Perform, one instance per disk: {@code blockdev-mirror} of that disk into its NBD export on the destination. */
@Component("mirrorDiskDelegate")
public class MirrorDiskDelegate extends MigrationStep {
    private final MigrationResources resources;

    public MirrorDiskDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        MigrationVariables variables = MigrationVariables.of(execution);
        MigrationRequest request = variables.request();
        QmpClient qmp = resources.sourceMonitor(execution);
        SourceSide.startMirror(qmp, new MirrorOptions(Vars.string(execution, Vars.DISK),
                resources.destinationHost(execution).address().getHostAddress(), variables.nbdPort(),
                request.copyStorage() == CopyStorage.INC, request.bandwidthBytesPerSecond()),
                MigrationTls.source(resources, execution, qmp));
    }
}
