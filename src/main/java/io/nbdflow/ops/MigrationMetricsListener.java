package io.nbdflow.ops;

import io.nbdflow.process.Vars;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;

/**
 * Attached to the start and the end of the storageMigration process by
 * {@link MigrationMetricsPlugin}. It counts only once the engine's transaction has committed: a
 * transaction that rolls back (and whose job is then retried) must not count twice.
 */
class MigrationMetricsListener implements ExecutionListener {

    private final MigrationMetrics metrics;

    MigrationMetricsListener(MigrationMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void notify(DelegateExecution execution) {
        Runnable record;
        if (EVENTNAME_START.equals(execution.getEventName())) {
            record = metrics::started;
        } else {
            // read now: after the commit the variables are gone with the execution
            String outcome = Vars.string(execution, Vars.OUTCOME);
            if (outcome == null) {
                outcome = MigrationMetrics.OUTCOME_CANCELLED;
            }
            String tag = outcome;
            Long duration = durationMs(execution);
            Long bytes = number(execution, Vars.BYTES_MIRRORED);
            Long downtime = number(execution, Vars.DOWNTIME_MS);
            record = () -> metrics.ended(tag, duration, bytes, downtime);
        }
        Context.getCommandContext().getTransactionContext()
                .addTransactionListener(TransactionState.COMMITTED, commandContext -> record.run());
    }

    /** totalTimeMs when the process wrote it (migrated, rolled back), else since Inspect source began. */
    private static Long durationMs(DelegateExecution execution) {
        Long total = number(execution, Vars.TOTAL_TIME_MS);
        if (total != null) {
            return total;
        }
        Long startedAt = number(execution, Vars.STARTED_AT);
        return startedAt == null ? null : System.currentTimeMillis() - startedAt;
    }

    private static Long number(DelegateExecution execution, String name) {
        return execution.getVariable(name) instanceof Number n ? n.longValue() : null;
    }
}
