package io.nbdflow.process.step;

import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.MigrationCookie;
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
 * The fallback when either side lacks NBD (or tunnelled migration was asked for): QEMU's own
 * block migration ({@code blk}, or {@code inc} for the top layer) into the pre-created disks of a
 * destination started with named {@code -drive} backends.
 */
@Component("startBlockMigrationDelegate")
public class StartBlockMigrationDelegate extends MigrationStep {
    private final MigrationResources resources;

    public StartBlockMigrationDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        MigrationVariables variables = MigrationVariables.of(execution);
        MigrationRequest request = variables.request();
        String uri = DestinationSide.tcpUri(resources.destinationHost(execution).address().getHostAddress(),
                variables.migrationPort());
        QmpClient destination = resources.destinationMonitor(execution);
        MigrationTls.destination(resources, execution, destination); // the disks travel in the migration stream
        DestinationSide.migrateIncoming(destination, uri);
        variables.writePrepareCookie(new MigrationCookie(variables.domain(), null,
                resources.destinationHost(execution).name(), null));
        QmpClient source = resources.sourceMonitor(execution);
        SourceSide.startLegacyMigration(source, uri, request.copyStorage() == CopyStorage.INC,
                request.bandwidthBytesPerSecond(), RamConvergence.of(request),
                MigrationTls.source(resources, execution, source));
    }
}
