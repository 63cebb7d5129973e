package io.nbdflow.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.nbdflow.config.PortRange;
import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.host.ssh.SshHostConnection;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestHost;
import io.nbdflow.testsupport.TestNetwork;

/**
 * The host layer unchanged on a host that is another machine: Hosts opens an SSH connection for it,
 * and Storage, QemuLauncher, Monitors and QemuProcesses do there what they do on this machine.
 */
class RemoteHostLayerTest {

    private TestHost remote;
    private Path base;
    private Host host;
    private Hosts hosts;
    private Monitors monitors;
    private QemuProcesses processes;
    private Optional<QemuInstance> launched = Optional.empty();

    @BeforeEach
    void setUp() {
        TestNetwork network = TestNetwork.shared();
        remote = network.host("b");
        base = remote.dataDir().resolve("layer-" + UUID.randomUUID());
        host = new Host("remote-b", remote.address(), base.resolve("state"), base.resolve("images"), null, null,
                new SshTarget(remote.address().getHostAddress(), 22, "root", network.clientKey("ed25519"),
                        network.knownHosts()), null);
        hosts = new Hosts(List.of(host), new PortRange(49152, 49152));
        monitors = new Monitors(hosts, Duration.ofSeconds(10));
        processes = new QemuProcesses(hosts, monitors);
    }

    @AfterEach
    void tearDown() {
        launched.ifPresent(q -> ProcessHandle.of(q.pid()).ifPresent(ProcessHandle::destroyForcibly));
        monitors.close();
        hosts.close();
        remote.exec("rm", "-rf", base.toString());
    }

    @Test
    void aDomainOnAnotherMachineIsCreatedLaunchedReachedAndStopped() throws Exception {
        assertThat(hosts.connection(host)).isInstanceOf(SshHostConnection.class);
        HostConnection connection = hosts.connection(host);
        connection.createDirectories(host.stateDir());
        connection.createDirectories(host.storageDir());

        Storage storage = new Storage("qemu-img", hosts);
        Path disk = host.storageDir().resolve("vda with 'quote'.qcow2");
        storage.createExclusive(host, disk, "qcow2", 16L << 20, null, null);
        assertThat(Files.isRegularFile(remote.outside(disk))).isTrue();
        assertThat(storage.info(host, disk).virtualSize()).isEqualTo(16L << 20);
        assertThat(hosts.inImageDirs(host, disk)).isTrue();

        DomainDefinition d = new DomainDefinition("far", host.name(), 64, 1, UUID.randomUUID().toString(),
                List.of(new DiskDefinition("vda", disk.toString(), "qcow2", false)));
        QemuLauncher launcher = new QemuLauncher("qemu-system-x86_64", hosts, monitors, processes);
        // the machine as the host's own QEMU, asked over SSH, resolves it (KVM where usable there)
        Machine machine = new HostMachines(new QemuCapabilityProbe("qemu-system-x86_64", hosts))
                .forDomain(host, null);
        assertThat(machine.type()).startsWith("pc-i440fx-");
        QemuInstance q = launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false));
        launched = Optional.of(q);

        assertThat(processes.isAlive(host, q.pid())).isTrue();
        assertThat(processes.find(host, "far")).contains(q);
        QmpClient monitor = monitors.get(q);
        assertThat(monitor.execute("query-status").get("status").asText()).isEqualTo("running");
        assertThat(monitor.execute("query-name").get("name").asText()).isEqualTo("far");
        assertThat(monitor.execute("query-block").findValuesAsText("file").toString()).contains("vda with 'quote'");

        processes.stop(q, Duration.ofSeconds(10));
        assertThat(processes.isAlive(host, q.pid())).isFalse();
        assertThat(Files.exists(remote.outside(q.dir()))).isFalse();
        assertThat(processes.find(host, "far")).isEmpty();

        assertThat(storage.deleteIfExists(host, disk)).isTrue();
        assertThat(Files.exists(remote.outside(disk))).isFalse();
    }
}
