package io.nbdflow.process.undo;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.MigrationResources;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.time.Duration;

/** Undoes "Migrate": {@code migrate_cancel}, waits until QEMU reports it over, and lets the source guest run again. */
@Component("cancelMigrationDelegate")
public class CancelMigrationDelegate extends QemuUndo {
    private final MigrationResources resources;

    public CancelMigrationDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        if (resources.source(execution).isPresent()) {
            SourceSide.cancelMigration(resources.sourceMonitor(execution), Duration.ofSeconds(30));
        }
    }
}
