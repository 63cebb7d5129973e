package io.nbdflow.process.undo;

import io.nbdflow.process.CreatedFilesJournal;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationVariables;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Undoes "Pre-create disks": removes exactly the files that step recorded as created, nothing else. */
@Component("removePrecreatedDisksDelegate")
public class RemovePrecreatedDisksDelegate implements JavaDelegate {
    private final MigrationResources resources;

    public RemovePrecreatedDisksDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) {
        MigrationVariables.of(execution).createdFiles().forEach(f -> resources.storage().deleteIfExists(resources.destinationHost(execution), f));
        new CreatedFilesJournal(resources.hosts().connection(resources.destinationHost(execution)),
                execution.getProcessInstanceId()).delete();
    }
}
