package io.nbdflow.process;

import io.nbdflow.migration.DiskPlan;
import io.nbdflow.domain.DomainRepository;
import io.nbdflow.host.Host;
import io.nbdflow.host.Hosts;
import io.nbdflow.host.Monitors;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.host.Storage;
import io.nbdflow.store.MigrationRecords;
import io.nbdflow.store.PortAllocator;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.VariableScope;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * What the steps share: the hosts, QEMU processes and monitors of a migration. Once "Inspect
 * source" has recorded the migration's facts ({@link MigrationRecords}), its domain, hosts and
 * destination QEMU come from that record, never from process variables (which any engine API
 * user may change); before that, only the request's variables exist. Nothing is kept in memory,
 * so a step works the same after an engine restart.
 */
@Component
public class MigrationResources {
    private final Hosts hosts;
    private final QemuProcesses processes;
    private final Monitors monitors;
    private final Storage storage;
    private final DomainRepository domains;
    private final PortAllocator ports;
    private final NbdflowProperties.Migration tuning;
    private final MigrationRecords records;

    public MigrationResources(Hosts hosts, QemuProcesses processes, Monitors monitors, Storage storage,
                              DomainRepository domains, PortAllocator ports, NbdflowProperties properties,
                              MigrationRecords records) {
        this.records = records;
        this.hosts = hosts;
        this.processes = processes;
        this.monitors = monitors;
        this.storage = storage;
        this.domains = domains;
        this.ports = ports;
        this.tuning = properties.migration();
    }

    public Hosts hosts() {
        return hosts;
    }

    public QemuProcesses processes() {
        return processes;
    }

    public Monitors monitors() {
        return monitors;
    }

    public Storage storage() {
        return storage;
    }

    public DomainRepository domains() {
        return domains;
    }

    public PortAllocator ports() {
        return ports;
    }

    public NbdflowProperties.Migration tuning() {
        return tuning;
    }

    public MigrationRecords records() {
        return records;
    }

    /** The recorded facts of the execution's migration; empty before "Inspect source" recorded them. */
    public Optional<MigrationRecords.Facts> facts(VariableScope scope) {
        return scope instanceof DelegateExecution e ? records.facts(e.getProcessInstanceId()) : Optional.empty();
    }

    /** The domain being migrated: recorded, or before that the request's. */
    public String domain(VariableScope scope) {
        return facts(scope).map(MigrationRecords.Facts::domain).orElseGet(() -> Vars.string(scope, Vars.DOMAIN));
    }

    /** The disk plan: as recorded by "Inspect source", or (no record yet) the process variable. */
    public DiskPlan plan(VariableScope scope) {
        return facts(scope).map(f -> MigrationVariables.planOf(f.plan()))
                .orElseGet(() -> MigrationVariables.of(scope).plan());
    }

    public Host sourceHost(VariableScope scope) {
        return hosts.get(facts(scope).map(MigrationRecords.Facts::sourceHost)
                .orElseGet(() -> Vars.string(scope, Vars.SOURCE_HOST)));
    }

    public Host destinationHost(VariableScope scope) {
        return hosts.get(facts(scope).map(MigrationRecords.Facts::destinationHost)
                .orElseGet(() -> Vars.string(scope, Vars.DESTINATION_HOST)));
    }

    public Optional<QemuInstance> source(VariableScope scope) {
        return processes.find(sourceHost(scope), domain(scope));
    }

    /** The source QEMU of a recorded migration: the domain's own QEMU on the recorded source host. */
    public Optional<QemuInstance> source(MigrationRecords.Facts facts) {
        return processes.find(hosts.get(facts.sourceHost()), facts.domain());
    }

    /**
     * The variables as a watcher reads them, with the domain, the hosts and the destination's pid
     * replaced by the recorded ones: what it watches is this migration's own QEMUs whatever the
     * variables say.
     */
    public java.util.Map<String, Object> withRecordedFacts(String migrationId, java.util.Map<String, Object> vars) {
        Optional<MigrationRecords.Facts> facts = records.facts(migrationId);
        if (facts.isEmpty()) {
            return vars;
        }
        java.util.Map<String, Object> trusted = new java.util.HashMap<>(vars);
        trusted.put(Vars.DOMAIN, facts.get().domain());
        trusted.put(Vars.SOURCE_HOST, facts.get().sourceHost());
        trusted.put(Vars.DESTINATION_HOST, facts.get().destinationHost());
        records.resources(migrationId, MigrationRecords.Kind.DESTINATION_QEMU).stream()
                .filter(r -> r.host().equals(facts.get().destinationHost())).findFirst()
                .ifPresent(r -> trusted.put(Vars.DESTINATION_PID, r.pid()));
        return trusted;
    }

    /** The destination QEMU this migration started, as recorded: same folder and the pid recorded. */
    public Optional<QemuInstance> destination(VariableScope scope) {
        if (!(scope instanceof DelegateExecution e)) {
            return Optional.empty();
        }
        return records.facts(e.getProcessInstanceId()).flatMap(this::destination);
    }

    /** The destination QEMU a recorded migration started, if it still runs. */
    public Optional<QemuInstance> destination(MigrationRecords.Facts facts) {
        Host host = hosts.get(facts.destinationHost());
        return records.resources(facts.migrationId(), MigrationRecords.Kind.DESTINATION_QEMU).stream()
                .filter(r -> r.host().equals(host.name()) && r.path().equals(facts.domain()))
                .findFirst()
                .flatMap(r -> processes.find(host, facts.domain()).filter(q -> q.pid() == r.pid()));
    }

    public QmpClient sourceMonitor(VariableScope scope) throws QmpException {
        QemuInstance q = source(scope).orElseThrow(() -> new QemuGoneException(
                "source QEMU of '" + domain(scope) + "' on " + sourceHost(scope).name() + " is not running"));
        return monitors.get(q);
    }

    public QmpClient destinationMonitor(VariableScope scope) throws QmpException {
        QemuInstance q = destination(scope).orElseThrow(() -> new QemuGoneException(
                "destination QEMU of '" + domain(scope) + "' on " + destinationHost(scope).name()
                        + " is not running"));
        return monitors.get(q);
    }

    /**
     * Ports and the domain's "migrating" mark are bookkeeping of this migration: dropped when it
     * ends. Found by the migration's id, whatever domain name a variable holds now.
     */
    public void releaseBookkeeping(String migrationId, String domain) {
        ports.release(migrationId);
        domains.releaseMigrationsOf(migrationId);
    }
}
