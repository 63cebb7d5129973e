package io.nbdflow.process;

import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.host.Reachability;
import io.nbdflow.store.MigrationRecords;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cmd.DefaultJobRetryCmd;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.jobexecutor.FailedJobCommandFactory;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Lazy;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.Date;

/**
 * A job that failed because a host did not answer keeps its retries and runs again a few seconds
 * later, for {@code nbdflow.migration.host-unreachable-timeout} from its first attempt: the
 * engine's cycle (1, 5, 15 s) would turn a host that needs a minute to come back into an incident.
 * After that the cycle applies as to any failure, so a rollback that cannot reach the source ends
 * in an incident for a person. Past the switchover the job is tried for as long as the host stays
 * away: the guest may run on the destination, and nothing may be rolled back.
 */
@Component
public class LostHostJobRetries extends AbstractProcessEnginePlugin {
    /** Between two attempts while a host does not answer. */
    static final Duration PAUSE = Duration.ofSeconds(5);

    private final Duration timeout;
    private final MigrationRecords records;

    @Autowired
    public LostHostJobRetries(NbdflowProperties properties, @Lazy MigrationRecords records) {
        this(properties.migration().hostUnreachableTimeout(), records);
    }

    LostHostJobRetries(Duration timeout, MigrationRecords records) {
        this.timeout = timeout;
        this.records = records;
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        configuration.setFailedJobCommandFactory(commands());
    }

    /** What the engine runs for a failed job. */
    FailedJobCommandFactory commands() {
        return (jobId, failure) -> new RetryCmd(jobId, failure);
    }

    private final class RetryCmd extends DefaultJobRetryCmd {
        private boolean keepRetries;

        RetryCmd(String jobId, Throwable failure) {
            super(jobId, failure);
        }

        @Override
        public Object execute(CommandContext commandContext) {
            JobEntity job = getJob();
            keepRetries = job != null && Reachability.isUnreachable(exception) && (withinTimeout(job) || pastSwitchover(job));
            Object result = super.execute(commandContext);
            if (keepRetries && job != null) {
                job.setDuedate(new Date(ClockUtil.getCurrentTime().getTime() + PAUSE.toMillis()));
            }
            return result;
        }

        @Override
        protected boolean shouldDecrementRetriesFor(Throwable failure) {
            return !keepRetries && super.shouldDecrementRetriesFor(failure);
        }

        private boolean withinTimeout(JobEntity job) {
            return job.getCreateTime() == null
                    || ClockUtil.getCurrentTime().getTime() - job.getCreateTime().getTime() < timeout.toMillis();
        }

        private boolean pastSwitchover(JobEntity job) {
            String migration = job.getProcessInstanceId();
            return migration != null && records.facts(migration).map(MigrationRecords.Facts::switchoverStarted)
                    .orElse(false);
        }
    }
}
