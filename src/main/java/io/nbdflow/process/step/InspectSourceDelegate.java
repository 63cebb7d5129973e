package io.nbdflow.process.step;

import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.host.CapabilityProbe;
import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostQemu;
import io.nbdflow.host.ImageInfo;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.migration.DestinationPreflight;
import io.nbdflow.migration.MachineCompatibility;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.migration.ConvergenceTimeout;
import io.nbdflow.migration.CopyModeChoice;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.migration.DiskPlanner;
import io.nbdflow.migration.GuestWriteRate;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.PortsExhaustedException;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.migration.TlsCredentials;
import io.nbdflow.migration.TransportChoice;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.MigrationVariables;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Begin, on the source: checks the request ({@link MigrationRequest#parse}), marks the domain as
 * migrating, chooses the transport from both sides' capabilities ({@link TransportChoice}), checks
 * that the destination can run the source's machine ({@link MachineCompatibility}), plans the disks
 * ({@link DiskPlanner}), checks the destination's programs, storage-dir and free space
 * ({@link DestinationPreflight}), reserves the destination's ports and writes the cookie.
 * Anything wrong here ends the migration "refused": nothing on any host has been touched.
 */
@Component("inspectSourceDelegate")
public class InspectSourceDelegate extends MigrationStep {
    private static final long MIB = 1L << 20;
    private final MigrationResources resources;
    private final CapabilityProbe probe;
    /** The programs a destination runs: checked there before anything is created. */
    private final List<String> binaries;

    public InspectSourceDelegate(MigrationResources resources, CapabilityProbe probe, NbdflowProperties properties) {
        this.resources = resources;
        this.probe = probe;
        this.binaries = List.of(properties.qemuBinary(), properties.qemuImgBinary());
    }

    @Override
    protected void run(DelegateExecution execution) throws Exception {
        String migrationId = execution.getProcessInstanceId();
        markStart(execution);
        MigrationVariables variables = MigrationVariables.of(execution);
        MigrationRequest request = MigrationRequest.parse(execution::getVariable);
        variables.writeRequest(request);

        String name = request.domain();
        DomainDefinition domain = resources.domains().find(name)
                .orElseThrow(() -> refused("domain: no domain named '" + name + "'"));
        Host source = resources.hosts().get(domain.host());
        Host destination = destination(request, name, source);
        boolean encrypted = requireTlsIfAsked(request, source, destination);
        requireDisksInImageDirs(domain, source);
        DestinationPreflight.requireBinaries(resources.hosts().connection(destination), binaries);
        QemuInstance qemu = resources.processes().find(source, name)
                .orElseThrow(() -> refused("domain: '" + name + "' is not running on " + source.name()));
        if (!resources.domains().claimMigration(name, migrationId)) {
            throw refused("domain: '" + name + "' is already migrating (process instance "
                    + resources.domains().migrationOf(name).orElse("?") + ")");
        }
        variables.writeSourceHost(source.name());
        execution.setVariable(Vars.ENCRYPTED, encrypted);

        QmpClient qmp = resources.monitors().get(qemu);
        String status = SourceSide.status(qmp);
        if (!status.equals("running") && !status.equals("paused")) {
            throw refused("domain: '" + name + "' is " + status + ", not running");
        }
        TransportChoice transport = TransportChoice.choose(request.tunnelled(), probe.sourceCommands(qmp),
                probe.destinationCommands(destination));
        HostQemu destinationQemu = probe.hostQemu(destination);
        MachineCompatibility.require(source, SourceSide.machineType(qmp), SourceSide.accelerator(qmp), destination,
                destinationQemu, destinationQemu.effective(destination.accelerator()).orElse(null));
        Map<String, ImageInfo> images = new LinkedHashMap<>();
        for (DiskDefinition d : domain.disks()) {
            images.put(d.target(), resources.storage().info(source, Path.of(d.file())));
        }
        List<String> toCopy = DiskPlanner.select(name, domain.disks(), request.disks());
        if (!transport.nbd()) {
            transport.requireLegacyPossible(SourceSide.driveBackendNames(qmp), domain.disks(), toCopy);
        }
        DiskPlan plan = DiskPlanner.plan(name, domain.disks(), images, toCopy, request.copyStorage(), destination,
                file -> resources.hosts().connection(destination).isRegularFile(file));
        DestinationPreflight.requireStorage(resources.hosts().connection(destination), destination.storageDir(),
                DestinationPreflight.bytesNeeded(plan, images,
                        d -> resources.storage().measureQcow2Copy(source, Path.of(d.sourceFile()))));
        reservePorts(variables, transport, destination, migrationId);
        // from here on the undo and the later steps read these facts, never the variables
        resources.records().begin(migrationId, name, source.name(), destination.name(), plan.targetsToCopy(),
                MigrationVariables.planJson(plan));

        variables.writePlan(plan);
        variables.writeTransport(transport.transport());
        if (transport.nbd() && CopyModeChoice.measures(request.mirrorCopyMode(), request.bandwidthBytesPerSecond())) {
            // the first read of the guest's write rate: the mirror step takes the second, seconds later
            variables.writeGuestWrites(GuestWriteRate.snapshot(qmp, plan.targetsToCopy()));
        }
        variables.writeConvergenceTimeout(ConvergenceTimeout.of(plan.bytesToCopy() + domain.memoryMiB() * MIB,
                request.bandwidthBytesPerSecond(), new ConvergenceTimeout.Policy(
                        resources.tuning().convergenceTimeoutMin(), resources.tuning().convergenceSecondsPerGib(),
                        resources.tuning().convergenceBandwidthFactor())));
        // the <nbd> element says "this source can mirror to NBD"; without it the destination takes the legacy path
        variables.writeBeginCookie(new MigrationCookie(name, domain.uuid(), source.name(),
                transport.sourceCanMirror() ? new MigrationCookie.Nbd(null, plan.announced()) : null));
    }

    /**
     * Whether NBD and migration will be encrypted: exactly when both hosts have TLS credentials
     * (then their files must be there). {@code requireTls} can only refuse a migration that would
     * not be, never turn encryption off. Left out, it is true as soon as either host has TLS: a host
     * given credentials is one whose guests must not travel in clear text, so a migration to or
     * from a host without them is refused unless the request says {@code requireTls: false}.
     */
    private boolean requireTlsIfAsked(MigrationRequest request, Host source, Host destination) {
        boolean encrypted = TlsCredentials.applies(source, destination);
        boolean required = request.requireTls() == null ? source.hasTls() || destination.hasTls()
                : request.requireTls();
        if (required && !encrypted) {
            String without = Stream.of(source, destination).filter(h -> !h.hasTls()).map(Host::name)
                    .collect(Collectors.joining("' and '"));
            throw refused("requireTls: NBD and migration would not be encrypted: host '" + without
                    + "' has no tls credentials configured");
        }
        if (encrypted) {
            for (Host host : List.of(source, destination)) {
                for (Path file : List.of(host.tls().ca(), host.tls().cert(), host.tls().key())) {
                    if (!resources.hosts().connection(host).isRegularFile(file)) {
                        throw refused("tls: '" + file + "' of host '" + host.name() + "' is not a file there");
                    }
                }
            }
        }
        return encrypted;
    }

    /** A definition stored before the host's image-dirs were enforced may still name any file: not copied. */
    private void requireDisksInImageDirs(DomainDefinition domain, Host source) {
        for (int i = 0; i < domain.disks().size(); i++) {
            DiskDefinition disk = domain.disks().get(i);
            if (!resources.hosts().connection(source).isRegularFile(Path.of(disk.file()))) {
                throw refused("disks[" + i + "].file: '" + disk.file() + "' of domain '" + domain.name()
                        + "' is not a file on host '" + source.name() + "'");
            }
            if (!resources.hosts().inImageDirs(source, Path.of(disk.file()))) {
                throw refused("disks[" + i + "].file: '" + disk.file() + "' of domain '" + domain.name()
                        + "' is outside the image-dirs of host '" + source.name() + "'");
            }
        }
    }

    private Host destination(MigrationRequest request, String name, Host source) {
        String destinationName = request.destinationHost();
        Host destination = resources.hosts().find(destinationName).orElseThrow(() -> refused(
                "destinationHost: unknown host '" + destinationName + "'; configured: "
                        + resources.hosts().all().stream().map(Host::name).collect(Collectors.joining(", "))));
        if (destination.name().equals(source.name())) {
            throw refused("destinationHost: domain '" + name + "' already runs on " + source.name());
        }
        return destination;
    }

    private void reservePorts(MigrationVariables variables, TransportChoice transport, Host destination,
                              String migrationId) {
        try {
            if (transport.nbd()) {
                variables.writeNbdPort(resources.ports().reserve(destination.address(), migrationId));
            }
            variables.writeMigrationPort(resources.ports().reserve(destination.address(), migrationId));
        } catch (PortsExhaustedException e) {
            throw refused(e.getMessage());
        }
    }

    private static void markStart(DelegateExecution execution) {
        if (execution.getVariable(Vars.STARTED_AT) == null) {
            execution.setVariable(Vars.STARTED_AT, System.currentTimeMillis());
        }
    }
}
