package io.nbdflow.process;

import io.nbdflow.migration.MigrationStatus;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * The switchover, with the source paused at {@code pre-switchover}: completes every mirror (a
 * ready mirror cancelled finishes with a consistent copy), then lets the migration finish. Until
 * QEMU reports {@code completed} a failure rolls back; after it the guest lives on the destination.
 */
@Component("switchOverDelegate")
public class SwitchOverDelegate extends MigrationStep {
    private final MigrationResources r;

    public SwitchOverDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        r.destinationMonitor(x);
        QmpClient source = r.sourceMonitor(x);
        long copied = SourceSide.completeMirrors(source, Duration.ofSeconds(60));
        MigrationStatus s = SourceSide.continueMigration(source, r.tuning.switchoverTimeout());
        if (!s.status().equals("completed")) {
            throw failed(x, "migration ended '" + s.status() + "'"
                    + (s.errorDesc() == null ? "" : ": " + s.errorDesc()));
        }
        x.setVariable(Vars.BYTES_MIRRORED, copied);
        x.setVariable(Vars.DOWNTIME_MS, s.downtimeMs());
        x.setVariable("ramMigrationTimeMs", s.totalTimeMs());
    }
}
