package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.Vars;
import io.nbdflow.store.MigrationRecords;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import java.util.Set;
import java.util.TreeSet;

/**
 * Last step of the rollback: everything is undone; the domain is free for the next migration. If
 * the destination host did not answer, what is on it (its QEMU, folder and pre-created disks) is
 * still recorded: the reason says so, the migration's ports stay reserved (that QEMU may still
 * listen on them), and the facts are dropped, so that the reconciler, which finishes the job once
 * the host answers, touches only that host and never the source again.
 */
@Component("recordRollbackDelegate")
public class RecordRollbackDelegate implements JavaDelegate {
    private final MigrationResources resources;

    public RecordRollbackDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) {
        // found by the migration's id: the domain variable may say anything by now
        String id = execution.getProcessInstanceId();
        Set<String> leftOn = new TreeSet<>();
        for (MigrationRecords.Kind kind : MigrationRecords.Kind.values()) {
            resources.records().resources(id, kind).forEach(r -> leftOn.add(r.host()));
        }
        String reason = Vars.string(execution, Vars.FAILURE_REASON);
        if (reason == null) {
            reason = "migration failed";
        }
        if (leftOn.isEmpty()) {
            resources.releaseBookkeeping(id, null);
        } else {
            resources.domains().releaseMigrationsOf(id);
            resources.records().dropFacts(id);
            reason += "; host " + String.join(", ", leftOn) + " unreachable: its QEMU, folder and pre-created disks of "
                    + "this migration are removed (and its ports released) once it answers again";
        }
        execution.setVariable(Vars.FAILURE_REASON, reason);
        execution.setVariable(Vars.OUTCOME, Vars.OUTCOME_ROLLED_BACK);
        execution.setVariable(Vars.TOTAL_TIME_MS,
                System.currentTimeMillis() - Vars.longValue(execution, Vars.STARTED_AT, 0));
    }
}
