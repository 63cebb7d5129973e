package io.nbdflow.process.undo;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.Vars;

import io.nbdflow.host.QemuInstance;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/**
 * Undoes "Start destination": quits the destination QEMU this migration started (kill if it does
 * not exit) and removes its folder. A QEMU that already died counts as stopped.
 */
@Component("stopDestinationDelegate")
public class StopDestinationDelegate implements JavaDelegate {
    private final MigrationResources resources;

    public StopDestinationDelegate(MigrationResources resources) {
        this.resources = resources;
    }

    @Override
    public void execute(DelegateExecution execution) {
        long pid = Vars.longValue(execution, Vars.DESTINATION_PID, -1);
        if (pid <= 0) {
            return;
        }
        // stop() is idempotent: a dead QEMU's folder is still removed
        resources.processes().stop(QemuInstance.of(Vars.string(execution, Vars.DOMAIN),
                resources.destinationHost(execution), pid), resources.tuning().qemuStopTimeout());
    }
}
