package io.nbdflow.process;

import org.camunda.bpm.engine.delegate.VariableScope;
import org.springframework.stereotype.Component;

import java.util.List;

/**
 * The plan as the BPMN's expressions see it: "Mirror disks" runs one instance per target of
 * {@code ${migrationPlan.targetsToCopy(execution)}}, read from the {@code diskPlan} variable, so
 * the list of disks to copy is stored once.
 */
@Component("migrationPlan")
public class MigrationPlanExpressions {
    public List<String> targetsToCopy(VariableScope execution) {
        return MigrationVariables.of(execution).targetsToCopy();
    }
}
