package io.nbdflow.process.step;

import io.nbdflow.process.DiskPlanVariable;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.Vars;

import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.host.DiskAttachment;
import io.nbdflow.host.LaunchRequest;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuLauncher;
import io.nbdflow.host.Host;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * Prepare: launches the destination QEMU with {@code -incoming defer -S}, its disks attached as
 * {@code -blockdev} nodes for NBD (a writable NBD export of a {@code -drive} disk is refused by
 * QEMU 7.2), as named {@code -drive} backends for the legacy block migration.
 * Copied disks are the pre-created files, shared disks the source's own paths.
 */
@Component("startDestinationDelegate")
public class StartDestinationDelegate extends MigrationStep {
    private final MigrationResources r;
    private final QemuLauncher launcher;

    public StartDestinationDelegate(MigrationResources resources, QemuLauncher launcher) {
        this.r = resources;
        this.launcher = launcher;
    }

    @Override
    protected void run(DelegateExecution x) {
        DomainDefinition domain = destinationDefinition(r, x);
        // NBD exports need -blockdev nodes; the legacy block migration matches -drive backend names
        DiskAttachment attachment = Vars.TRANSPORT_LEGACY.equals(Vars.string(x, Vars.STORAGE_TRANSPORT))
                ? DiskAttachment.DRIVE : DiskAttachment.BLOCKDEV;
        Host destination = r.destinationHost(x);
        Optional<QemuInstance> running = r.processes().find(destination, domain.name());
        if (running.isPresent()) {
            // the domain is claimed by this migration, so a QEMU of it on the destination is this step's
            // own, launched by an attempt whose commit a crash lost: start afresh (it has received nothing)
            if (!r.domains().migrationOf(domain.name()).orElse("").equals(x.getProcessInstanceId())) {
                throw failed(x, "domain '" + domain.name() + "' already runs on " + destination.name()
                        + " (pid " + running.get().pid() + ")");
            }
            r.processes().stop(running.get(), r.tuning().qemuStopTimeout());
        }
        QemuInstance q = launcher.launch(new LaunchRequest(domain.vm(), destination, attachment, true));
        x.setVariable(Vars.DESTINATION_PID, q.pid());
    }

    /** The domain as it will be on the destination: same machine, disks at their destination paths. */
    static DomainDefinition destinationDefinition(MigrationResources r, DelegateExecution x) {
        DomainDefinition source = r.domains().find(Vars.string(x, Vars.DOMAIN)).orElseThrow(
                () -> new IllegalStateException("domain " + Vars.string(x, Vars.DOMAIN) + " vanished"));
        return new DomainDefinition(source.name(), Vars.string(x, Vars.DESTINATION_HOST), source.memoryMiB(),
                source.vcpus(), source.uuid(), DiskPlanVariable.destinationDisks(x));
    }
}
