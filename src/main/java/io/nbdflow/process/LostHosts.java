package io.nbdflow.process;

import io.nbdflow.host.Host;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.Reachability;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.Optional;

/**
 * What a step before the switchover does when a host does not answer. The destination must be
 * commandable for the migration to go on (nothing can switch over to a QEMU nobody can command),
 * so an unreachable destination fails the migration at once: the rollback needs only the source,
 * and the destination is cleaned once it answers again. An unreachable source is waited for, up
 * to {@code nbdflow.migration.host-unreachable-timeout} counted from the step's first attempt
 * (the job keeps its retries meanwhile, see {@link LostHostJobRetries}); the guest runs on
 * there all along, so failing then loses nothing.
 */
@Component
public class LostHosts {
    private final MigrationResources resources;

    public LostHosts(MigrationResources resources) {
        this.resources = resources;
    }

    public Duration timeout() {
        return resources.tuning().hostUnreachableTimeout();
    }

    /** Whether that host answers now. */
    public boolean answers(Host host) {
        return Reachability.answers(resources.hosts().connection(host));
    }

    /**
     * The reason the migration fails for that lost host, or empty if the step is to be tried
     * again (the source may come back, or both hosts answer again and the loss has passed).
     */
    public Optional<String> failure(DelegateExecution execution, HostUnreachableException e) {
        Host destination = resources.destinationHost(execution);
        if (!answers(destination)) {
            return Optional.of(unreachableDestination(destination.name(), e.getMessage()));
        }
        Host source = resources.sourceHost(execution);
        if (!answers(source) && triedFor().compareTo(timeout()) >= 0) {
            return Optional.of(unreachableSource(source.name(), timeout(), e.getMessage()));
        }
        return Optional.empty();
    }

    /** The reason of a migration failed because its destination does not answer. */
    public static String unreachableDestination(String host, String detail) {
        return "destination host '" + host + "' is unreachable" + (detail == null ? "" : ": " + detail);
    }

    /** The reason of a migration failed because its source has not answered for that long. */
    public static String unreachableSource(String host, Duration timeout, String detail) {
        return "source host '" + host + "' unreachable for more than " + timeout.toSeconds() + " s"
                + (detail == null ? "" : ": " + detail);
    }

    /** How long the current job has been tried: since it was created (its first attempt). */
    private static Duration triedFor() {
        if (Context.getJobExecutorContext() == null || Context.getJobExecutorContext().getCurrentJob() == null) {
            return Duration.ofDays(365); // not a job: nobody would try again
        }
        JobEntity job = Context.getJobExecutorContext().getCurrentJob();
        if (job.getCreateTime() == null) {
            return Duration.ZERO;
        }
        return Duration.ofMillis(Math.max(0, org.camunda.bpm.engine.impl.util.ClockUtil.getCurrentTime().getTime() - job.getCreateTime().getTime()));
    }
}
