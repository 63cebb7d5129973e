package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.QemuGoneException;

import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClosedException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * Undoes "Mirror disks": cancels the mirror jobs of this migration and waits until QEMU dropped
 * them. Camunda runs it once per completed instance, without that instance's {@code disk}
 * variable, so each run sweeps whatever of ours is left; the later runs find nothing to do.
 */
@Component("cancelMirrorDelegate")
public class CancelMirrorDelegate implements JavaDelegate {
    private final MigrationResources r;

    public CancelMirrorDelegate(MigrationResources resources) {
        this.r = resources;
    }

    @Override
    public void execute(DelegateExecution x) throws Exception {
        try {
            if (r.source(x).isEmpty()) {
                return; // the source died: its jobs died with it
            }
            SourceSide.cancelMirrors(r.sourceMonitor(x), null, Duration.ofSeconds(30));
        } catch (QemuGoneException | QmpClosedException gone) {
            // the source died meanwhile: nothing of ours runs there any more
        }
    }
}
