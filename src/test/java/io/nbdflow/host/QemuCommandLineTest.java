package io.nbdflow.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.config.PortRange;

import org.junit.jupiter.api.Test;

/** The QEMU command line, without starting QEMU. */
class QemuCommandLineTest {

    private static final String UUID = "6f1c2a3e-0c4b-4d2e-9f11-2b3c4d5e6f70";

    private final Host host = new Host("host-a", InetAddress.getLoopbackAddress(), Path.of("/srv/a/state"),
            Path.of("/srv/a/images"));
    private final Hosts hosts = new Hosts(List.of(host), new PortRange(49152, 49152));
    private final Monitors monitors = new Monitors(hosts, Duration.ofSeconds(1));
    private final QemuLauncher launcher = new QemuLauncher("qemu-system-x86_64", hosts, monitors,
            new QemuProcesses(hosts, monitors));

    private static final Machine TCG = new Machine("pc-i440fx-7.2", Accelerator.TCG);

    @Test
    void theMachineTypeAndAcceleratorAreTheRequestsAndTheCpuModelStaysMigratable() {
        List<String> cmd = launcher.commandLine(new LaunchRequest(domain().vm(), host,
                new Machine("pc-i440fx-6.2", Accelerator.KVM), DiskAttachment.DRIVE, false));
        assertThat(valuesOf(cmd, "-machine")).containsExactly("pc-i440fx-6.2,accel=kvm");
        assertThat(cmd).doesNotContain("-cpu");
    }

    @Test
    void aMachineNeedsATypeNameAndADecidedAccelerator() {
        assertThatThrownBy(() -> new Machine("pc,accel=kvm", Accelerator.TCG)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Machine("pc", Accelerator.AUTO)).isInstanceOf(IllegalArgumentException.class);
    }

    private DomainDefinition domain() {
        return new DomainDefinition("vm1", "host-a", 128, 2, UUID, List.of(
                new DiskDefinition("vda", "/srv/a/images/odd,name.qcow2", "qcow2", false),
                new DiskDefinition("vdb", "/srv/a/images/vdb.raw", "raw", true)));
    }

    @Test
    void driveAttachment() {
        List<String> cmd = launcher.commandLine(new LaunchRequest(domain().vm(), host, TCG, DiskAttachment.DRIVE, false));
        assertThat(cmd).containsExactly(
                "qemu-system-x86_64", "-name", "vm1", "-uuid", UUID, "-machine", "pc-i440fx-7.2,accel=tcg",
                "-m", "128", "-smp", "2", "-nodefaults", "-display", "none", "-no-user-config",
                "-drive", "file=/srv/a/images/odd,,name.qcow2,format=qcow2,if=none,id=drive-vda,discard=unmap",
                "-device", "virtio-blk-pci,drive=drive-vda,id=virtio-disk0",
                "-drive", "file=/srv/a/images/vdb.raw,format=raw,if=none,id=drive-vdb,readonly=on",
                "-device", "virtio-blk-pci,drive=drive-vdb,id=virtio-disk1",
                "-chardev", "file,id=console0,path=/srv/a/state/vm1/console.log,append=on",
                "-serial", "chardev:console0",
                "-qmp", "unix:/srv/a/state/vm1/qmp.sock,server=on,wait=off",
                "-qmp", "unix:/srv/a/state/vm1/qmp-tools.sock,server=on,wait=off",
                "-daemonize", "-pidfile", "/srv/a/state/vm1/qemu.pid");
    }

    @Test
    void blockdevAttachmentForAnIncomingDestination() throws Exception {
        List<String> cmd = launcher.commandLine(new LaunchRequest(domain().vm(), host, TCG, DiskAttachment.BLOCKDEV, true));

        assertThat(cmd).doesNotContain("-drive");
        assertThat(cmd.subList(cmd.size() - 3, cmd.size())).containsExactly("-incoming", "defer", "-S");
        List<String> blockdevs = valuesOf(cmd, "-blockdev");
        assertThat(blockdevs).hasSize(4);
        ObjectMapper json = new ObjectMapper();
        JsonNode vdaFile = json.readTree(blockdevs.get(0));
        assertThat(vdaFile.get("driver").asText()).isEqualTo("file");
        assertThat(vdaFile.get("filename").asText()).isEqualTo("/srv/a/images/odd,name.qcow2"); // JSON: no escaping
        assertThat(vdaFile.get("node-name").asText()).isEqualTo("drive-vda-storage");
        assertThat(vdaFile.has("read-only")).isFalse();
        assertThat(vdaFile.get("discard").asText()).isEqualTo("unmap");
        JsonNode vdaFormat = json.readTree(blockdevs.get(1));
        assertThat(vdaFormat.get("driver").asText()).isEqualTo("qcow2");
        assertThat(vdaFormat.get("file").asText()).isEqualTo("drive-vda-storage");
        assertThat(vdaFormat.get("node-name").asText()).isEqualTo("drive-vda");
        // holes the mirror writes as zeroes stay holes, and the guest's discards free room (both layers)
        assertThat(vdaFormat.get("discard").asText()).isEqualTo("unmap");
        JsonNode vdbFile = json.readTree(blockdevs.get(2));
        assertThat(vdbFile.get("read-only").asBoolean()).isTrue();
        assertThat(vdbFile.has("discard")).as("a read-only disk discards nothing").isFalse();
        assertThat(json.readTree(blockdevs.get(3)).get("node-name").asText()).isEqualTo("drive-vdb");
        // the same device ids as a DRIVE source, so that migration matches the devices
        assertThat(valuesOf(cmd, "-device")).containsExactly(
                "virtio-blk-pci,drive=drive-vda,id=virtio-disk0", "virtio-blk-pci,drive=drive-vdb,id=virtio-disk1");
    }

    @Test
    void commasInTheStateFolderAreEscapedToo() {
        Host odd = new Host("host-a", InetAddress.getLoopbackAddress(), Path.of("/srv/a,b"), Path.of("/srv/i"));
        List<String> cmd = launcher.commandLine(new LaunchRequest(domain().vm(), odd, TCG, DiskAttachment.DRIVE, false));
        assertThat(valuesOf(cmd, "-qmp")).containsExactly(
                "unix:/srv/a,,b/vm1/qmp.sock,server=on,wait=off", "unix:/srv/a,,b/vm1/qmp-tools.sock,server=on,wait=off");
        assertThat(valuesOf(cmd, "-pidfile")).containsExactly("/srv/a,b/vm1/qemu.pid");
        assertThat(valuesOf(cmd, "-chardev")).containsExactly("file,id=console0,path=/srv/a,,b/vm1/console.log,append=on");
    }

    @Test
    void theSerialPortIsAppendedToTheConsoleLogOnBothSidesOfAMigration() {
        for (boolean incoming : List.of(false, true)) {
            List<String> cmd = launcher.commandLine(new LaunchRequest(domain().vm(), host, TCG, DiskAttachment.BLOCKDEV,
                    incoming));
            assertThat(valuesOf(cmd, "-chardev")).containsExactly(
                    "file,id=console0,path=/srv/a/state/vm1/console.log,append=on");
            assertThat(valuesOf(cmd, "-serial")).containsExactly("chardev:console0");
        }
    }

    @Test
    void refusesSocketPathsUnixCannotHold() {
        Host deep = new Host("host-a", InetAddress.getLoopbackAddress(),
                Path.of("/tmp/" + String.join("", Collections.nCopies(100, "x"))), Path.of("/srv/i"));
        assertThatThrownBy(() -> launcher.commandLine(new LaunchRequest(domain().vm(), deep, TCG, DiskAttachment.DRIVE, false)))
                .isInstanceOf(QemuLaunchException.class)
                .hasMessageContaining("more than the 107");
    }

    private static List<String> valuesOf(List<String> cmd, String option) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < cmd.size() - 1; i++) {
            if (cmd.get(i).equals(option)) {
                values.add(cmd.get(i + 1));
            }
        }
        return values;
    }
}
