package io.nbdflow.process;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClosedException;
import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * First step of the rollback (the seed's "cancel running jobs on failed migration"): whatever the
 * failure interrupted, no mirror of ours and no migration may outlive it, and the guest must run.
 * Compensation covers completed steps only; a failure in the middle of "Mirror disks" leaves
 * mirrors of completed instances that no handler would see, hence this sweep before the undo.
 */
@Component("cancelSourceJobsDelegate")
public class CancelSourceJobsDelegate implements JavaDelegate {
    private final MigrationResources r;

    public CancelSourceJobsDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) throws Exception {
        try {
            if (Vars.string(x, Vars.SOURCE_HOST) == null || r.source(x).isEmpty()) {
                return; // refused before the source was known, or the source died: nothing runs there
            }
            QmpClient qmp = r.sourceMonitor(x);
            SourceSide.cancelMigration(qmp, Duration.ofSeconds(30));
            SourceSide.cancelMirrors(qmp, null, Duration.ofSeconds(30));
            SourceSide.resumeIfPaused(qmp);
        } catch (QemuGoneException | QmpClosedException gone) {
            // the source died meanwhile: nothing of ours runs there any more
        }
    }
}
