package io.nbdflow.process.undo;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.MigrationResources;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * Undoes "Mirror disks": cancels the mirror jobs of this migration and waits until QEMU dropped
 * them. Camunda runs it once per completed instance, without that instance's {@code disk}
 * variable, so each run sweeps whatever of ours is left; the later runs find nothing to do.
 */
@Component("cancelMirrorDelegate")
public class CancelMirrorDelegate extends QemuUndo {
    private final MigrationResources resources;

    public CancelMirrorDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    protected void undo(DelegateExecution execution) throws Exception {
        if (resources.source(execution).isEmpty()) {
            return; // the source died: its jobs died with it
        }
        SourceSide.cancelMirrors(resources.sourceMonitor(execution), null, Duration.ofSeconds(30));
    }
}
