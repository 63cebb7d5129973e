package io.nbdflow.process;

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
        DiskPlanVariable.createdFiles(x).forEach(r.storage::deleteIfExists);
        new CreatedFilesJournal(r.destinationHost(x), x.getProcessInstanceId()).delete();
    }
}
