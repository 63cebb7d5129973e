package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.QemuGoneException;
import io.nbdflow.process.Vars;

import io.nbdflow.migration.MigrationStepException;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClosedException;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpTimeoutException;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * First step of the rollback ("cancel running jobs on failed migration"): whatever the
 * failure interrupted, no mirror of ours and no migration may outlive it, and the guest must run.
 * Compensation covers completed steps only; a failure in the middle of "Mirror disks" leaves
 * mirrors of completed instances that no handler would see, hence this sweep before the undo.
 */
@Component("cancelSourceJobsDelegate")
public class CancelSourceJobsDelegate extends QemuUndo {
    private final MigrationResources resources;

    private static final Duration MONITOR_PROBE = Duration.ofSeconds(3);

    public CancelSourceJobsDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        if (Vars.string(execution, Vars.SOURCE_HOST) == null || resources.source(execution).isEmpty()) {
            return; // refused before the source was known, or the source died: nothing runs there
        }
        QmpClient qmp = resources.sourceMonitor(execution);
        try {
            qmp.execute("query-status", null, MONITOR_PROBE);
        } catch (QmpTimeoutException hanging) {
            // QEMU's main loop waits on a dead connection: free it before asking anything else
            SourceSide.unblock(qmp, MigrationVariables.of(execution).targetsToCopy());
        }
        // each part on its own: one that fails must not keep the undo of the destination from running
        List<String> problems = new ArrayList<>();
        attempt(problems, "cancel migration", () -> SourceSide.cancelMigration(qmp, Duration.ofSeconds(30)));
        attempt(problems, "cancel mirrors", () -> SourceSide.cancelMirrors(qmp, null, Duration.ofSeconds(30)));
        attempt(problems, "resume source", () -> SourceSide.resumeIfPaused(qmp));
        if (!problems.isEmpty()) {
            execution.setVariable("rollbackProblems", String.join("; ", problems)); // for a person, in Cockpit
        }
    }

    private interface QemuCall {
        void run() throws Exception;
    }

    private static void attempt(List<String> problems, String what, QemuCall call) throws Exception {
        try {
            call.run();
        } catch (QemuGoneException | QmpClosedException gone) {
            throw gone;
        } catch (QmpException | MigrationStepException e) {
            problems.add(what + ": " + e.getMessage());
        }
    }
}
