package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.Vars;

import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.SourceSide;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

/**
 * Perform: starts the RAM migration to the destination's incoming port, with
 * {@code pause-before-switchover} so the mirrors can be completed before the guest moves.
 */
@Component("startMigrationDelegate")
public class StartMigrationDelegate extends MigrationStep {
    private final MigrationResources r;

    public StartMigrationDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        r.destinationMonitor(x); // fail here, clearly, if the destination died while we waited
        SourceSide.startMigration(r.sourceMonitor(x),
                DestinationSide.tcpUri(r.destinationHost(x).address().getHostAddress(),
                        Vars.intValue(x, Vars.MIGRATION_PORT)),
                Vars.longValue(x, Vars.BANDWIDTH_MIBPS, 0) * MirrorDiskDelegate.MIB);
    }
}
