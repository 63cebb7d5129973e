package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.QemuGoneException;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClosedException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import java.time.Duration;

/** Undoes "Migrate": {@code migrate_cancel}, waits until QEMU reports it over, and lets the source guest run again. */
@Component("cancelMigrationDelegate")
public class CancelMigrationDelegate implements JavaDelegate {
    private final MigrationResources r;

    public CancelMigrationDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) throws Exception {
        try {
            if (r.source(x).isPresent()) {
                SourceSide.cancelMigration(r.sourceMonitor(x), Duration.ofSeconds(30));
            }
        } catch (QemuGoneException | QmpClosedException gone) {
            // the source died meanwhile: nothing of ours runs there any more
        }
    }
}
