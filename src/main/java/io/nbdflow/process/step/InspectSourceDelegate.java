package io.nbdflow.process.step;

import io.nbdflow.host.CapabilityProbe;
import io.nbdflow.process.DiskPlanVariable;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.MigrationStep;
import io.nbdflow.process.PlannedDisk;
import io.nbdflow.process.Vars;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.host.Host;
import io.nbdflow.host.ImageInfo;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.migration.ConvergenceTimeout;
import io.nbdflow.migration.CookieXml;
import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.migration.DiskPlanException;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.migration.NbdCapability;
import io.nbdflow.migration.PortsExhaustedException;
import io.nbdflow.migration.SourceDisk;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Begin, on the source: checks the request, marks the domain as migrating, asks both sides for
 * the NBD capability, plans the disks, reserves the destination's ports and writes the cookie.
 * Anything wrong here ends the migration "refused": nothing on any host has been touched.
 */
@Component("inspectSourceDelegate")
public class InspectSourceDelegate extends MigrationStep {
    private static final long MIB = 1L << 20;
    /** 1 TiB/s: beyond any link, and its bytes per second still fit QEMU's int64. */
    private static final long MAX_BANDWIDTH_MIBPS = 1L << 20;
    private final MigrationResources r;
    private final CapabilityProbe probe;

    public InspectSourceDelegate(MigrationResources resources, CapabilityProbe probe) {
        this.r = resources;
        this.probe = probe;
    }

    @Override
    protected void run(DelegateExecution x) throws Exception {
        String migrationId = x.getProcessInstanceId();
        markStart(x);
        String name = requiredText(x, Vars.DOMAIN);
        String destinationName = requiredText(x, Vars.DESTINATION_HOST);
        CopyStorage copyStorage;
        try {
            copyStorage = CopyStorage.parse(Vars.string(x, Vars.COPY_STORAGE));
        } catch (IllegalArgumentException e) {
            throw refused(e.getMessage());
        }
        Object rawBandwidth = x.getVariable(Vars.BANDWIDTH_MIBPS);
        if (rawBandwidth != null && !(rawBandwidth instanceof Number)) {
            throw refused("bandwidthMiBps: expected a number of MiB/s, got '" + rawBandwidth + "'");
        }
        for (String flag : new String[] {Vars.TUNNELLED, Vars.APPROVE_SWITCHOVER}) {
            Object v = x.getVariable(flag);
            if (v != null && !(v instanceof Boolean)) {
                throw refused(flag + ": expected true or false, got '" + v + "'");
            }
            x.setVariable(flag, Boolean.TRUE.equals(v)); // defaults written down, for the gateways and Cockpit
        }
        long bandwidth = Vars.longValue(x, Vars.BANDWIDTH_MIBPS, 0);
        x.setVariable(Vars.BANDWIDTH_MIBPS, bandwidth);
        if (bandwidth < 0 || bandwidth > MAX_BANDWIDTH_MIBPS) {
            throw refused("bandwidthMiBps: expected 0 (no limit) or a number of MiB/s up to " + MAX_BANDWIDTH_MIBPS
                    + ", got " + bandwidth);
        }
        DomainDefinition domain = r.domains().find(name)
                .orElseThrow(() -> refused("domain: no domain named '" + name + "'"));
        Host source = r.hosts().get(domain.host());
        Host destination = r.hosts().find(destinationName).orElseThrow(() -> refused("destinationHost: unknown host '"
                + destinationName + "'; configured: " + r.hosts().all().stream().map(Host::name)
                .collect(Collectors.joining(", "))));
        if (destination.name().equals(source.name())) {
            throw refused("destinationHost: domain '" + name + "' already runs on " + source.name());
        }
        QemuInstance qemu = r.processes().find(source, name)
                .orElseThrow(() -> refused("domain: '" + name + "' is not running on " + source.name()));
        if (!r.domains().claimMigration(name, migrationId)) {
            throw refused("domain: '" + name + "' is already migrating (process instance "
                    + r.domains().migrationOf(name).orElse("?") + ")");
        }
        x.setVariable(Vars.SOURCE_HOST, source.name());

        QmpClient qmp = r.monitors().get(qemu);
        String status = SourceSide.status(qmp);
        if (!status.equals("running") && !status.equals("paused")) {
            throw refused("domain: '" + name + "' is " + status + ", not running");
        }
        Set<String> sourceCommands = probe.sourceCommands(qmp);
        Set<String> destinationCommands = probe.destinationCommands(destination);
        boolean tunnelled = Vars.flag(x, Vars.TUNNELLED);
        boolean sourceNbd = !tunnelled && NbdCapability.canMirrorToNbd(sourceCommands);
        boolean nbd = sourceNbd && NbdCapability.canServeNbd(destinationCommands);
        String whyNot = tunnelled ? "tunnelled migration was requested"
                : !NbdCapability.canMirrorToNbd(sourceCommands)
                ? "the source QEMU lacks " + NbdCapability.missingToMirrorToNbd(sourceCommands)
                : "the destination QEMU lacks " + NbdCapability.missingToServeNbd(destinationCommands);
        List<SourceDisk> sourceDisks = new ArrayList<>();
        for (DiskDefinition d : domain.disks()) {
            long size = r.storage().info(source, Path.of(d.file())).virtualSize();
            sourceDisks.add(new SourceDisk(d.target(), d.file(), d.format(), d.readonly(), size));
        }
        DiskPlan plan;
        try {
            plan = DiskPlan.of(name, sourceDisks, Vars.string(x, Vars.MIGRATE_DISKS));
        } catch (DiskPlanException e) {
            throw refused(e.getMessage());
        }
        if (!nbd) {
            requireLegacyPossible(qmp, domain, plan, whyNot);
        }
        if (plan.toCopy().isEmpty()) {
            throw refused("migrateDisks: nothing to copy: domain '" + name + "' has no writable disk selected");
        }
        List<PlannedDisk> planned = new ArrayList<>();
        long bytesToCopy = 0;
        for (SourceDisk d : sourceDisks) {
            boolean copy = plan.toCopy().contains(d);
            String destinationFile = copy
                    ? DiskPlan.destinationFile(destination.storageDir(), name, d.target(), d.format()).toString()
                    : d.file();
            ImageInfo info = copy && copyStorage == CopyStorage.INC ? r.storage().info(source, Path.of(d.file())) : null;
            String backing = info == null ? null : info.backingPath();
            if (backing != null && !r.hosts().connection(destination).isRegularFile(Path.of(backing))) {
                // only the top layer travels: the rest of the chain must already be on the destination
                throw refused("copyStorage: 'inc' copies only the top layer of " + d.target() + ", but its backing file "
                        + backing + " is not present on " + destination.name());
            }
            planned.add(new PlannedDisk(d.target(), d.format(), d.readonly(), d.virtualSize(), d.file(),
                    destinationFile, copy, backing, backing == null ? null : info.backingFormat()));
            bytesToCopy += copy ? d.virtualSize() : 0;
        }
        try {
            if (nbd) {
                x.setVariable(Vars.NBD_PORT, r.ports().reserve(destination.address(), migrationId));
            }
            x.setVariable(Vars.MIGRATION_PORT, r.ports().reserve(destination.address(), migrationId));
        } catch (PortsExhaustedException e) {
            throw refused(e.getMessage());
        }

        DiskPlanVariable.write(x, planned);
        x.setVariable(Vars.DISKS_TO_COPY, plan.toCopy().stream().map(SourceDisk::target)
                .collect(Collectors.joining(",")));
        x.setVariable(Vars.STORAGE_TRANSPORT, nbd ? Vars.TRANSPORT_NBD : Vars.TRANSPORT_LEGACY);
        x.setVariable(Vars.COPY_STORAGE, copyStorage.value());
        x.setVariable(Vars.CONVERGENCE_TIMEOUT, ConvergenceTimeout.of(
                bytesToCopy + domain.memoryMiB() * MIB, bandwidth * MIB,
                r.tuning().convergenceTimeoutMin(), r.tuning().convergenceSecondsPerGib(),
                r.tuning().convergenceBandwidthFactor()).toString());
        // the <nbd> element says "this source can mirror to NBD"; without it the destination takes the legacy path
        x.setVariable(Vars.COOKIE_BEGIN, CookieXml.write(new MigrationCookie(name, domain.uuid(), source.name(),
                !sourceNbd ? null : new MigrationCookie.Nbd(null, plan.toCopy().stream()
                        .map(d -> new MigrationCookie.NbdDisk(d.target(), d.virtualSize())).toList()))));
    }

    /**
     * QEMU's block migration matches disks by the name of their {@code -drive} backend and copies
     * every writable one: a disk without such a name (a domain that arrived over NBD) would make
     * the destination fail, and a selection of disks cannot be honoured.
     */
    private static void requireLegacyPossible(QmpClient qmp, DomainDefinition domain, DiskPlan plan, String whyNot)
            throws io.nbdflow.qmp.QmpException {
        Set<String> named = SourceSide.driveBackendNames(qmp);
        List<String> unnamed = domain.disks().stream().map(DiskDefinition::target)
                .filter(t -> !named.contains("drive-" + t)).toList();
        if (!unnamed.isEmpty()) {
            throw refused("NBD cannot be used (" + whyNot + ") and the legacy block migration cannot either: disk(s) "
                    + unnamed + " have no named -drive backend (the domain arrived over NBD), which QEMU's block "
                    + "migration needs to match disks on the destination");
        }
        if (plan.shared().stream().anyMatch(d -> !d.readonly())) {
            throw refused("migrateDisks: NBD cannot be used (" + whyNot + ") and the legacy block migration copies "
                    + "every writable disk; a selection of disks needs NBD on both sides");
        }
    }

    private static void markStart(DelegateExecution x) {
        if (x.getVariable(Vars.STARTED_AT) == null) {
            x.setVariable(Vars.STARTED_AT, System.currentTimeMillis());
        }
    }

    private static String requiredText(DelegateExecution x, String name) {
        Object v = x.getVariable(name);
        if (!(v instanceof String s) || s.isBlank()) {
            throw refused(name + ": required (a string), got " + (v == null ? "nothing" : "'" + v + "'"));
        }
        return s.strip();
    }
}
