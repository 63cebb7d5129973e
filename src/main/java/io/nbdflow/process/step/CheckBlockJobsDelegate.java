package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.stream.Collectors;

/** A block job already running on the source (a backup, a commit, someone's mirror) would fight ours: refuse. */
@Component("checkBlockJobsDelegate")
public class CheckBlockJobsDelegate extends MigrationStep {
    private final MigrationResources resources;

    public CheckBlockJobsDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        List<BlockJob> jobs = SourceSide.blockJobs(resources.sourceMonitor(execution));
        if (!jobs.isEmpty()) {
            throw refused("domain: block job" + (jobs.size() > 1 ? "s " : " ") + jobs.stream()
                    .map(j -> "'" + j.id() + "' (" + j.type() + ", " + j.status() + ")")
                    .collect(Collectors.joining(", ")) + " already active on the source; wait for "
                    + (jobs.size() > 1 ? "them" : "it") + " to finish");
        }
    }
}
