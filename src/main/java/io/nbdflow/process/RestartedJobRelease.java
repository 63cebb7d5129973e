package io.nbdflow.process;

import io.nbdflow.config.NbdflowProperties;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cmd.UnlockJobCmd;
import org.camunda.bpm.engine.impl.jobexecutor.JobExecutor;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.camunda.bpm.engine.runtime.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * After a crash, the jobs this node was running stay locked in the database for the engine's lock
 * time (5 minutes): a migration killed while a step talked to QEMU would sit still that long after
 * the restart. So the job executor locks under a name that is stable across restarts of this
 * node ({@code nbdflow.node-name}, default the host name), and at start-up, before the job
 * executor runs, jobs still locked under that name are released: nothing of this node can be
 * running them. Jobs locked by other nodes sharing the database are left alone. Every step is
 * safe to run again (see the delegates).
 */
@Component
public class RestartedJobRelease extends AbstractProcessEnginePlugin {
    private static final Logger log = LoggerFactory.getLogger(RestartedJobRelease.class);
    private final String lockOwner;

    public RestartedJobRelease(NbdflowProperties properties) {
        this.lockOwner = "nbdflow@" + (properties.nodeName().isBlank() ? hostName() : properties.nodeName());
    }

    @Override
    public void postInit(ProcessEngineConfigurationImpl configuration) {
        JobExecutor jobExecutor = configuration.getJobExecutor();
        if (jobExecutor != null) {
            jobExecutor.setLockOwner(lockOwner);
        }
    }

    /** The engine is built, the job executor not yet started (the starter starts it with the application). */
    @Override
    public void postProcessEngineBuild(ProcessEngine engine) {
        int released = release(engine, lockOwner);
        if (released > 0) {
            log.warn("released {} job(s) still locked by this node ({}) before its restart: they run again now",
                    released, lockOwner);
        }
    }

    /** Unlocks every job locked by {@code owner}; returns how many. */
    static int release(ProcessEngine engine, String owner) {
        ProcessEngineConfigurationImpl configuration =
                (ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration();
        List<String> ids = engine.getManagementService().createJobQuery().list().stream().map(Job::getId).toList();
        return configuration.getCommandExecutorTxRequired().execute(context -> {
            int count = 0;
            for (String id : ids) {
                JobEntity job = context.getJobManager().findJobById(id);
                if (job != null && owner.equals(job.getLockOwner())) {
                    new UnlockJobCmd(id).execute(context);
                    count++;
                }
            }
            return count;
        });
    }

    String lockOwner() {
        return lockOwner;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
