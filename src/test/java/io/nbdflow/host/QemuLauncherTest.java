package io.nbdflow.host;

import io.nbdflow.testsupport.ThisMachine;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import io.nbdflow.config.PortRange;
import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Launching, finding and stopping real QEMUs (TCG, no guest OS). */
class QemuLauncherTest {

    @TempDir
    Path dir;

    private Monitors monitors;
    private QemuProcesses processes;
    private QemuLauncher launcher;
    private Host host;
    private QemuCapabilityProbe probe;
    private Machine machine;

    @BeforeEach
    void setUp() throws Exception {
        host = new Host("host-a", InetAddress.getByName("127.0.0.1"), dir.resolve("state"), dir.resolve("images"));
        Hosts hosts = new Hosts(List.of(host), new PortRange(49152, 49152));
        monitors = new Monitors(hosts, Duration.ofSeconds(10));
        processes = new QemuProcesses(hosts, monitors);
        launcher = new QemuLauncher("qemu-system-x86_64", hosts, monitors, processes);
        probe = new QemuCapabilityProbe("qemu-system-x86_64", hosts);
        machine = new HostMachines(probe).forDomain(host, null);
        Files.createDirectories(host.stateDir());
        Files.createDirectories(host.storageDir().resolve("with,comma"));
    }

    @AfterEach
    void tearDown() {
        try {
            QemuReaper.killAllBelow(dir);
        } finally {
            monitors.close();
        }
    }

    private DomainDefinition twoDisks(String name) {
        Path vda = TestImages.create(host.storageDir(), "vda.qcow2", "qcow2", 16 * MiB);
        Path vdb = TestImages.create(host.storageDir().resolve("with,comma"), "vdb.qcow2", "qcow2", 8 * MiB);
        return new DomainDefinition(name, host.name(), 64, 1, UUID.randomUUID().toString(), List.of(
                new DiskDefinition("vda", vda.toString(), "qcow2", false),
                new DiskDefinition("vdb", vdb.toString(), "qcow2", false)));
    }

    /**
     * Only the domain's QEMU launched by nbdflow is acted on: a QEMU of another name whose pid is
     * written into the domain's pid file (a forged record) is neither found nor stopped.
     */
    @Test
    void aQemuIsTheDomainsOnlyByItsNameAndPidFile() throws Exception {
        QemuInstance q = launcher.launch(new LaunchRequest(twoDisks("own").vm(), host, machine, DiskAttachment.DRIVE, false));
        assertThat(processes.isOwnQemu(host, "own", q.pid())).isTrue();
        assertThat(processes.isOwnQemu(host, "other", q.pid())).as("another domain's name").isFalse();

        Process stranger = new ProcessBuilder("qemu-system-x86_64", "-machine", "none", "-nodefaults", "-display",
                "none", "-S", "-monitor", "none", "-serial", "none")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertThat(QemuProcesses.isLiveQemu(stranger.pid())).isTrue();
            Path forgedDir = host.domainDir("forged");
            Files.createDirectories(forgedDir);
            Files.writeString(forgedDir.resolve(QemuInstance.PID_FILE), Long.toString(stranger.pid()));
            Files.writeString(forgedDir.resolve(QemuInstance.QMP_SOCKET), "");
            assertThat(processes.isOwnQemu(host, "forged", stranger.pid())).isFalse();
            assertThat(processes.find(host, "forged")).isEmpty();

            processes.stop(QemuInstance.of("forged", host, stranger.pid()), Duration.ofSeconds(1));
            assertThat(stranger.isAlive()).as("a QEMU nbdflow did not launch for that domain").isTrue();
        } finally {
            stranger.destroyForcibly();
        }
        processes.stop(q, Duration.ofSeconds(10));
        assertThat(processes.isAlive(host, q.pid())).isFalse();
    }

    /**
     * The host's QEMU is asked once what it offers: this machine's QEMU 7.2 resolves pc to
     * pc-i440fx-7.2 and gets KVM where /dev/kvm works, so AUTO launches a KVM guest of that type
     * there, and a TCG guest elsewhere.
     */
    @Test
    void autoLaunchesTheResolvedMachineTypeWithKvmWhereTheHostsQemuGetsIt() throws Exception {
        HostQemu qemu = probe.hostQemu(host);
        assertThat(qemu.version()).startsWith("7.2.");
        assertThat(qemu.defaultMachine()).isEqualTo("pc-i440fx-7.2");
        assertThat(qemu.machines()).contains("pc", "pc-i440fx-7.2", "q35", "pc-q35-7.2").hasSizeGreaterThan(20);
        assertThat(qemu.commands()).contains("blockdev-mirror", "nbd-server-start", "migrate-incoming");
        boolean kvm = ThisMachine.kvmWorks();
        assertThat(qemu.kvmUsable()).as("query-kvm of a QEMU asking for KVM on this machine").isEqualTo(kvm);
        assertThat(probe.hostQemu(host)).as("asked once").isSameAs(qemu);
        assertThat(machine).isEqualTo(new Machine("pc-i440fx-7.2", kvm ? Accelerator.KVM : Accelerator.TCG));

        QemuInstance q = launcher.launch(new LaunchRequest(twoDisks("kvm").vm(), host, machine,
                DiskAttachment.DRIVE, false));
        QmpClient monitor = monitors.get(q);
        assertThat(monitor.execute("query-kvm").path("enabled").asBoolean()).isEqualTo(kvm);
        assertThat(monitor.execute("qom-get", java.util.Map.of("path", "/machine", "property", "type")).asText())
                .isEqualTo("pc-i440fx-7.2-machine");
        processes.stop(q, Duration.ofSeconds(10));

        Host tcgHost = new Host(host.name(), host.address(), host.stateDir(), host.storageDir(), List.of(),
                List.of(), null, Accelerator.TCG);
        Machine tcg = new HostMachines(probe).forDomain(tcgHost, null);
        assertThat(tcg).isEqualTo(new Machine("pc-i440fx-7.2", Accelerator.TCG));
        QemuInstance t = launcher.launch(new LaunchRequest(twoDisks("tcg").vm(), tcgHost, tcg,
                DiskAttachment.DRIVE, false));
        assertThat(monitors.get(t).execute("query-kvm").path("enabled").asBoolean()).isFalse();
        processes.stop(t, Duration.ofSeconds(10));

        assertThatThrownBy(() -> new HostMachines(probe).forDomain(host, "pc-i440fx-0.1"))
                .isInstanceOf(QemuLaunchException.class).hasMessageContaining("lacks machine type 'pc-i440fx-0.1'");
    }

    @Test
    void aDomainNameThatLeavesTheStateDirIsRefusedWhereItBecomesAPath() {
        assertThatThrownBy(() -> host.domainDir("../../victim")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QemuInstance.of("a/b", host, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDomainWithTwoDisksStartsIsFoundAndStops() throws Exception {
        DomainDefinition d = twoDisks("two");
        QemuInstance q = launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false));

        assertThat(processes.isAlive(host, q.pid())).isTrue();
        assertThat(q.dir()).isEqualTo(host.stateDir().resolve("two"));
        assertThat(processes.find(host, "two")).contains(q);

        QmpClient monitor = monitors.get(q);
        assertThat(monitor.execute("query-status").get("status").asText()).isEqualTo("running");
        JsonNode blocks = monitor.execute("query-block");
        assertThat(blocks.findValuesAsText("device")).containsExactly("drive-vda", "drive-vdb");
        assertThat(blocks.get(0).get("qdev").asText()).isEqualTo("/machine/peripheral/virtio-disk0/virtio-backend");
        assertThat(blocks.get(1).get("inserted").get("file").asText()).contains("with,comma/vdb.qcow2");
        assertThat(monitor.execute("query-name").get("name").asText()).isEqualTo("two");
        assertThat(monitor.execute("query-uuid").get("UUID").asText()).isEqualTo(d.uuid());

        // the second monitor is free for tools while Monitors holds the first one
        try (QmpClient tools = QmpClient.connect(q.toolsSocket(), Duration.ofSeconds(5))) {
            assertThat(tools.execute("query-status").get("status").asText()).isEqualTo("running");
        }
        assertThat(monitor.isOpen()).isTrue();

        processes.stop(q, Duration.ofSeconds(10));

        assertThat(processes.isAlive(host, q.pid())).isFalse();
        assertGoneFromProc(q.pid());
        assertThat(q.qmpSocket()).doesNotExist();
        assertThat(q.dir()).doesNotExist();
        assertThat(processes.find(host, "two")).isEmpty();
        // idempotent
        processes.stop(q, Duration.ofSeconds(10));
    }

    @Test
    void anIncomingDestinationWithBlockdevNodesWaits() throws Exception {
        DomainDefinition d = twoDisks("dst");
        QemuInstance q = launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.BLOCKDEV, true));

        QmpClient monitor = monitors.get(q);
        assertThat(monitor.execute("query-status").get("status").asText()).isEqualTo("inmigrate");
        JsonNode nodes = monitor.execute("query-named-block-nodes");
        assertThat(nodes.findValuesAsText("node-name"))
                .contains("drive-vda", "drive-vda-storage", "drive-vdb", "drive-vdb-storage");
        JsonNode blocks = monitor.execute("query-block");
        assertThat(blocks.findValuesAsText("qdev")).containsExactly(
                "/machine/peripheral/virtio-disk0/virtio-backend", "/machine/peripheral/virtio-disk1/virtio-backend");

        processes.stop(q, Duration.ofSeconds(10));
        assertThat(q.dir()).doesNotExist();
    }

    @Test
    void aSecondLaunchIsRefusedWhileTheFirstLives() {
        DomainDefinition d = twoDisks("once");
        QemuInstance q = launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false));

        assertThatThrownBy(() -> launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false)))
                .isInstanceOf(QemuAlreadyRunningException.class)
                .hasMessageContaining("pid " + q.pid());
        assertThat(processes.find(host, "once")).contains(q);
    }

    @Test
    void aFailedStartCarriesQemusOutputAndLeavesNothing() {
        DomainDefinition d = new DomainDefinition("broken", host.name(), 64, 1, UUID.randomUUID().toString(),
                List.of(new DiskDefinition("vda", dir.resolve("missing.qcow2").toString(), "qcow2", false)));

        assertThatThrownBy(() -> launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false)))
                .isInstanceOf(QemuLaunchException.class)
                .hasMessageContaining("domain 'broken'")
                .hasMessageContaining("missing.qcow2"); // from QEMU's own error message
        assertThat(host.stateDir().resolve("broken")).doesNotExist();
    }

    @Test
    void aKilledQemuIsNoLongerFoundAndCanBeStartedAgain() throws Exception {
        DomainDefinition d = twoDisks("crash");
        QemuInstance q = launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false));

        processes.kill(q);

        assertThat(processes.isAlive(host, q.pid())).isFalse();
        assertThat(q.pidFile()).exists(); // as a crash leaves it
        assertThat(processes.find(host, "crash")).isEmpty();

        QemuInstance again = launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false));
        assertThat(again.pid()).isNotEqualTo(q.pid());
        assertThat(monitors.get(again).execute("query-status").get("status").asText()).isEqualTo("running");
        processes.stop(again, Duration.ofSeconds(10));
        processes.stop(q, Duration.ofSeconds(10)); // the dead one: nothing left to do
    }

    /**
     * A daemonized QEMU is not our child: PID 1 reaps it, a little after it died, so its /proc
     * entry (a zombie meanwhile) lingers for a moment.
     */
    private static void assertGoneFromProc(long pid) throws InterruptedException {
        Path proc = Path.of("/proc", Long.toString(pid));
        Wait.until(proc + " gone", Duration.ofSeconds(10), () -> !Files.exists(proc));
        assertThat(proc).doesNotExist();
    }
}
