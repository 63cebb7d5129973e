package io.nbdflow.process;

import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.QemuLaunchException;
import io.nbdflow.host.StorageException;
import io.nbdflow.migration.MigrationRefusedException;
import io.nbdflow.migration.MigrationStepException;
import io.nbdflow.qmp.QmpCommandException;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.Optional;

/**
 * Base of the steps before switchover. Turns what can go wrong into the process's language:
 * a refusal ({@link MigrationRefusedException}) becomes the BPMN error MIGRATION_REFUSED with its
 * text (no host was changed, nothing to roll back); QEMU's own errors and a QEMU that is gone
 * become the BPMN error MIGRATION_FAILED (roll back, with the step's name and QEMU's text as the
 * reason); a lost monitor connection while QEMU still lives is retried by the job, and rolled
 * back when the retries run out. A host that does not answer is judged by {@link LostHosts}.
 */
public abstract class MigrationStep implements JavaDelegate {
    public static final String FAILED = "MIGRATION_FAILED";
    public static final String REFUSED = "MIGRATION_REFUSED";

    private LostHosts lostHosts;

    protected abstract void run(DelegateExecution execution) throws Exception;

    /** Set by Spring; a step made by hand (process tests) treats a lost host as any host failure. */
    @Autowired(required = false)
    public void setLostHosts(LostHosts lostHosts) {
        this.lostHosts = lostHosts;
    }

    @Override
    public final void execute(DelegateExecution execution) throws Exception {
        if (Vars.flag(execution, Vars.ABORT_REQUESTED) && abortable(execution)) {
            // an abort takes effect at the next step boundary, before this step touches anything
            throw new BpmnError(FAILED, Vars.string(execution, Vars.ABORT_REASON));
        }
        try {
            run(execution);
        } catch (BpmnError e) {
            throw e;
        } catch (MigrationRefusedException e) {
            throw refused(e.getMessage());
        } catch (HostUnreachableException e) {
            if (!rollsBackForLostHost()) {
                throw e; // the job tries again; a person sees an incident if the host never answers
            }
            if (lostHosts == null) {
                throw failed(execution, e.getMessage());
            }
            Optional<String> failure = lostHosts.failure(execution, e);
            if (failure.isPresent() || lastAttempt()) {
                throw failed(execution, failure.orElse(e.getMessage()));
            }
            throw e; // the job tries again, keeping its retries while the host may come back
        } catch (QmpCommandException | MigrationStepException | QemuGoneException | StorageException
                 | QemuLaunchException e) {
            throw failed(execution, e.getMessage());
        } catch (QmpException e) {
            if (lastAttempt()) {
                throw failed(execution, e.getMessage());
            }
            // monitor lost or slow: the job retries; if QEMU itself is gone, the retry's lookup says so
            throw e;
        }
    }

    /** Whether an abort may still stop this step; the switchover overrides it once QEMU has switched. */
    protected boolean abortable(DelegateExecution execution) throws Exception {
        return true;
    }

    /**
     * Whether a host lost during this step is judged by {@link LostHosts} (fail at once for the
     * destination, after a while for the source); false: the step is tried again whichever host
     * was lost, because once it may have switched the guest over, a rollback would stop the guest.
     */
    protected boolean rollsBackForLostHost() {
        return true;
    }

    public static BpmnError refused(String reason) {
        return new BpmnError(REFUSED, reason);
    }

    protected static BpmnError failed(DelegateExecution execution, String reason) {
        String step = execution.getCurrentActivityName();
        String where = Vars.string(execution, Vars.DISK);
        return new BpmnError(FAILED, (step == null ? "" : step + (where == null ? "" : " (" + where + ")") + ": ")
                + reason);
    }

    private static boolean lastAttempt() {
        if (Context.getJobExecutorContext() == null) {
            return true;
        }
        JobEntity job = Context.getJobExecutorContext().getCurrentJob();
        return job == null || job.getRetries() <= 1;
    }
}
