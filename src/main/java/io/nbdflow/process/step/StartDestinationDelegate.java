package io.nbdflow.process.step;

import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;

import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.host.DiskAttachment;
import io.nbdflow.host.LaunchRequest;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuLauncher;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostMachines;
import io.nbdflow.host.Machine;
import io.nbdflow.migration.ConsoleHandover;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpException;
import io.nbdflow.migration.StorageTransport;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * Prepare: launches the destination QEMU with {@code -incoming defer -S}, its disks attached as
 * {@code -blockdev} nodes for NBD (a writable NBD export of a {@code -drive} disk is refused by
 * QEMU 7.2), as named {@code -drive} backends for the legacy block migration.
 * Copied disks are the pre-created files, shared disks the source's own paths. Its console.log
 * starts as the end of the source's ({@link ConsoleHandover}).
 */
@Component("startDestinationDelegate")
public class StartDestinationDelegate extends MigrationStep {
    private final MigrationResources resources;
    private final QemuLauncher launcher;
    private final HostMachines machines;

    public StartDestinationDelegate(MigrationResources resources, QemuLauncher launcher, HostMachines machines) {
        this.resources = resources;
        this.launcher = launcher;
        this.machines = machines;
    }

    @Override
    protected void run(DelegateExecution execution) throws QmpException {
        DomainDefinition domain = destinationDefinition(execution);
        // NBD exports need -blockdev nodes; the legacy block migration matches -drive backend names
        DiskAttachment attachment = MigrationVariables.of(execution).transport() == StorageTransport.LEGACY
                ? DiskAttachment.DRIVE : DiskAttachment.BLOCKDEV;
        Host destination = resources.destinationHost(execution);
        Optional<QemuInstance> running = resources.processes().find(destination, domain.name());
        if (running.isPresent()) {
            // the domain is claimed by this migration, so a QEMU of it on the destination is this step's
            // own, launched by an attempt whose commit a crash lost: start afresh (it has received nothing)
            if (!resources.domains().migrationOf(domain.name()).orElse("").equals(execution.getProcessInstanceId())) {
                throw failed(execution, "domain '" + domain.name() + "' already runs on " + destination.name()
                        + " (pid " + running.get().pid() + ")");
            }
            resources.processes().stop(running.get(), resources.tuning().qemuStopTimeout());
        }
        Machine machine = sourceMachine(execution, destination);
        // before QEMU opens it: the destination's console continues the source's (QEMU appends)
        long consoleCopiedUpTo = ConsoleHandover.seed(resources.hosts().connection(resources.sourceHost(execution)),
                resources.hosts().connection(destination), domain.name());
        QemuInstance q = launcher.launch(new LaunchRequest(domain.vm(), destination, machine, attachment, true));
        execution.setVariable(Vars.CONSOLE_COPIED_UP_TO, consoleCopiedUpTo);
        resources.records().setQemu(execution.getProcessInstanceId(), destination.name(), domain.name(), q.pid());
        execution.setVariable(Vars.DESTINATION_PID, q.pid()); // for people (Cockpit); the undo reads the record
    }

    /**
     * The exact machine type the source runs, read from the source QEMU (running until the switchover),
     * with the destination's accelerator, which Inspect source found equal to the source's.
     */
    private Machine sourceMachine(DelegateExecution execution, Host destination) throws QmpException {
        Host source = resources.sourceHost(execution);
        QemuInstance sourceQemu = resources.source(execution).orElseThrow(() -> failed(execution,
                "the source QEMU of '" + resources.domain(execution) + "' on " + source.name() + " is gone"));
        String type = SourceSide.machineType(resources.monitors().get(sourceQemu));
        return new Machine(type, machines.accelerator(destination));
    }

    /** The domain as it will be on the destination: same machine, disks at their destination paths. */
    private DomainDefinition destinationDefinition(DelegateExecution execution) {
        String name = resources.domain(execution);
        DomainDefinition source = resources.domains().find(name).orElseThrow(
                () -> new IllegalStateException("domain " + name + " vanished"));
        return new DomainDefinition(source.name(), resources.destinationHost(execution).name(), source.memoryMiB(),
                source.vcpus(), source.uuid(), resources.plan(execution).destinationDisks(), source.machineType());
    }
}
