package io.nbdflow.process.listener;

import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateTask;
import org.camunda.bpm.engine.delegate.TaskListener;
import org.camunda.bpm.engine.exception.NotValidException;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.springframework.stereotype.Component;

/**
 * On creation of "Approve switchover": gives the task the list of disks to copy ({@code disksToCopy},
 * task-local, comma-separated, from the plan) for its form to show.
 * <p>
 * Completing "Approve switchover" decides, it does not merely acknowledge: {@code switchoverApproved}
 * true lets the VM move, false declines and rolls everything back (as an abort would), and a
 * completion that says neither (a script calling complete with no variables) is refused, so the
 * task stays open. Tasklist's form always sends the checkbox.
 */
@Component("switchoverApprovalListener")
public class SwitchoverApprovalListener implements TaskListener {
    @Override
    public void notify(DelegateTask task) {
        if (EVENTNAME_CREATE.equals(task.getEventName())) {
            task.setVariableLocal(Vars.DISKS_TO_COPY, String.join(",", MigrationVariables.of(task).targetsToCopy()));
            return;
        }
        Object decision = task.getVariable(Vars.SWITCHOVER_APPROVED);
        if (Boolean.TRUE.equals(decision)) {
            return;
        }
        if (Boolean.FALSE.equals(decision)) {
            Authentication who = task.getProcessEngineServices().getIdentityService().getCurrentAuthentication();
            throw new BpmnError(MigrationStep.FAILED, task.getName() + ": declined by "
                    + (who == null ? "an engine API call" : who.getUserId()));
        }
        throw new NotValidException(Vars.SWITCHOVER_APPROVED + ": required to complete '" + task.getName()
                + "': true to switch over, false to decline (everything done so far is rolled back); got "
                + (decision == null ? "nothing" : "'" + decision + "'"));
    }
}
