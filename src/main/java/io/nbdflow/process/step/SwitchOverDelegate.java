package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.Vars;

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

    /** A retry after QEMU already switched over must finish, abort or not: the guest runs on the destination. */
    @Override
    protected boolean abortable(DelegateExecution x) throws Exception {
        return r.source(x).isEmpty() || !SourceSide.queryMigrate(r.sourceMonitor(x)).status().equals("completed");
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        r.destinationMonitor(x);
        QmpClient source = r.sourceMonitor(x);
        MigrationStatus before = SourceSide.queryMigrate(source);
        if (before.status().equals("completed")) {
            // a retry of this step (lost commit, engine restart) after QEMU already switched over:
            // the guest runs on the destination, only the figures are left to record
            record(x, Vars.longValue(x, Vars.BYTES_MIRRORED, 0), before);
            return;
        }
        long copied = SourceSide.completeMirrors(source, Duration.ofSeconds(60));
        MigrationStatus s = SourceSide.continueMigration(source, r.tuning().switchoverTimeout());
        if (!s.status().equals("completed")) {
            throw failed(x, "migration ended '" + s.status() + "'"
                    + (s.errorDesc() == null ? "" : ": " + s.errorDesc()));
        }
        record(x, copied, s);
    }

    private static void record(DelegateExecution x, long copied, MigrationStatus s) {
        x.setVariable(Vars.BYTES_MIRRORED, copied);
        x.setVariable(Vars.DOWNTIME_MS, s.downtimeMs());
        x.setVariable("ramMigrationTimeMs", s.totalTimeMs());
    }
}
