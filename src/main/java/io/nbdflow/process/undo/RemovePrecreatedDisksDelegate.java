package io.nbdflow.process.undo;

import io.nbdflow.process.CreatedFilesJournal;
import io.nbdflow.process.DiskPlanVariable;
import io.nbdflow.process.MigrationResources;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Undoes "Pre-create disks": removes exactly the files that step recorded as created, nothing else. */
@Component("removePrecreatedDisksDelegate")
public class RemovePrecreatedDisksDelegate implements JavaDelegate {
    private final MigrationResources r;

    public RemovePrecreatedDisksDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) {
        DiskPlanVariable.createdFiles(x).forEach(f -> r.storage().deleteIfExists(r.destinationHost(x), f));
        new CreatedFilesJournal(r.hosts().connection(r.destinationHost(x)), x.getProcessInstanceId()).delete();
    }
}
