package io.nbdflow.process;

import io.nbdflow.domain.DomainRepository;
import io.nbdflow.host.Host;
import io.nbdflow.host.Hosts;
import io.nbdflow.host.Monitors;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.host.Storage;
import io.nbdflow.store.PortAllocator;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import org.camunda.bpm.engine.delegate.VariableScope;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * What the steps share: the hosts, QEMU processes and monitors a migration's variables point to.
 * Everything is looked up from variables and the file system, never kept in memory, so a step
 * works the same after an engine restart.
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

    public MigrationResources(Hosts hosts, QemuProcesses processes, Monitors monitors, Storage storage,
                              DomainRepository domains, PortAllocator ports, NbdflowProperties properties) {
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

    public Host sourceHost(VariableScope scope) {
        return hosts.get(Vars.string(scope, Vars.SOURCE_HOST));
    }

    public Host destinationHost(VariableScope scope) {
        return hosts.get(Vars.string(scope, Vars.DESTINATION_HOST));
    }

    public Optional<QemuInstance> source(VariableScope scope) {
        return processes.find(sourceHost(scope), Vars.string(scope, Vars.DOMAIN));
    }

    /** The destination QEMU this migration started: same folder and the pid it recorded. */
    public Optional<QemuInstance> destination(VariableScope scope) {
        long pid = Vars.longValue(scope, Vars.DESTINATION_PID, -1);
        return processes.find(destinationHost(scope), Vars.string(scope, Vars.DOMAIN)).filter(q -> q.pid() == pid);
    }

    public QmpClient sourceMonitor(VariableScope scope) throws QmpException {
        QemuInstance q = source(scope).orElseThrow(() -> new QemuGoneException(
                "source QEMU of '" + Vars.string(scope, Vars.DOMAIN) + "' on " + Vars.string(scope, Vars.SOURCE_HOST)
                        + " is not running"));
        return monitors.get(q);
    }

    public QmpClient destinationMonitor(VariableScope scope) throws QmpException {
        QemuInstance q = destination(scope).orElseThrow(() -> new QemuGoneException(
                "destination QEMU of '" + Vars.string(scope, Vars.DOMAIN) + "' on "
                        + Vars.string(scope, Vars.DESTINATION_HOST) + " is not running"));
        return monitors.get(q);
    }

    /** Ports and the domain's "migrating" mark are bookkeeping of this migration: dropped when it ends. */
    public void releaseBookkeeping(String migrationId, String domain) {
        ports.release(migrationId);
        domains.releaseMigration(domain, migrationId);
    }
}
