package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.process.LostHosts;
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
 * A host that stops answering here is waited for instead, since whether QEMU switched is then
 * unknown; only a destination that does not answer before the migration is continued fails it.
 */
@Component("switchOverDelegate")
public class SwitchOverDelegate extends MigrationStep {
    private final MigrationResources resources;

    public SwitchOverDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    /** A retry after QEMU already switched over must finish, abort or not: the guest runs on the destination. */
    @Override
    protected boolean abortable(DelegateExecution execution) throws Exception {
        return resources.source(execution).isEmpty()
                || !SourceSide.queryMigrate(resources.sourceMonitor(execution)).status().equals("completed");
    }

    /** A host lost once the guest may be switching over: tried again, never rolled back. */
    @Override
    protected boolean rollsBackForLostHost() {
        return false;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        QmpClient source = resources.sourceMonitor(execution);
        MigrationStatus before = SourceSide.queryMigrate(source);
        if (before.status().equals("completed")) {
            // a retry of this step (lost commit, engine restart) after QEMU already switched over:
            // the guest runs on the destination, only the figures are left to record
            record(execution, Vars.longValue(execution, Vars.BYTES_MIRRORED, 0), before);
            return;
        }
        try {
            resources.destinationMonitor(execution);
        } catch (HostUnreachableException e) {
            // the guest never switches over to a QEMU nobody can command; it has not switched yet,
            // so the rollback lets it run on where it is
            throw failed(execution, LostHosts.unreachableDestination(resources.destinationHost(execution).name(),
                    e.getMessage()));
        }
        long copied = SourceSide.completeMirrors(source, Duration.ofSeconds(60));
        MigrationStatus s = SourceSide.continueMigration(source, resources.tuning().switchoverTimeout());
        if (!s.status().equals("completed")) {
            throw failed(execution, "migration ended '" + s.status() + "'"
                    + (s.errorDesc() == null ? "" : ": " + s.errorDesc()));
        }
        record(execution, copied, s);
    }

    private static void record(DelegateExecution execution, long copied, MigrationStatus s) {
        execution.setVariable(Vars.BYTES_MIRRORED, copied);
        execution.setVariable(Vars.DOWNTIME_MS, s.downtimeMs());
        execution.setVariable("ramMigrationTimeMs", s.totalTimeMs());
    }
}
