package io.nbdflow.host;

import io.nbdflow.config.NbdflowProperties;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nbdflow.qmp.QmpException;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Starts a domain's QEMU, daemonized, through its host's connection, so that it outlives this
 * application: the process is found again later from its folder (see {@link QemuProcesses}).
 */
@Component
public class QemuLauncher {

    /** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String qemuBinary;
    private final Hosts hosts;
    private final Monitors monitors;
    private final QemuProcesses processes;

    @Autowired
    public QemuLauncher(NbdflowProperties properties, Hosts hosts, Monitors monitors, QemuProcesses processes) {
        this(properties.qemuBinary(), hosts, monitors, processes);
    }

    public QemuLauncher(String qemuBinary, Hosts hosts, Monitors monitors, QemuProcesses processes) {
        this.qemuBinary = qemuBinary;
        this.hosts = hosts;
        this.monitors = monitors;
        this.processes = processes;
    }

    /**
     * Launches QEMU and returns once its monitor answers. Refused if the domain's folder already
     * holds a live QEMU. On failure nothing is left behind and the exception carries QEMU's output.
     */
    public QemuInstance launch(LaunchRequest r) {
        String domain = r.vm().name();
        QemuInstance planned = QemuInstance.of(domain, r.host(), 0);
        HostConnection host = hosts.connection(r.host());
        OptionalLong running = processes.livePid(r.host(), planned.pidFile());
        if (running.isPresent()) {
            throw new QemuAlreadyRunningException(domain, r.host().name(), running.getAsLong());
        }
        List<String> cmd = commandLine(r);
        prepareFolder(host, planned, cmd);

        // with -daemonize the launched process exits once QEMU is initialized (0) or failed (non-zero)
        OptionalInt exit;
        try {
            exit = host.runDaemonizing(cmd, planned.logFile(), START_TIMEOUT);
        } catch (StorageException e) {
            throw fail(host, planned, e.getMessage(), e);
        }
        if (exit.isEmpty()) {
            throw fail(host, planned, "QEMU did not finish starting within " + START_TIMEOUT.toSeconds() + " s",
                    null);
        }
        if (exit.getAsInt() != 0) {
            throw fail(host, planned, "QEMU exited with status " + exit.getAsInt(), null);
        }
        OptionalLong pid = host.readPid(planned.pidFile());
        if (pid.isEmpty()) {
            throw fail(host, planned, "QEMU wrote no pid file", null);
        }
        QemuInstance instance = QemuInstance.of(domain, r.host(), pid.getAsLong());
        try {
            monitors.get(instance);
        } catch (QmpException e) {
            processes.kill(instance);
            throw fail(host, planned, "QEMU does not answer on " + instance.qmpSocket() + ": " + e.getMessage(), e);
        }
        return instance;
    }

    /** The full QEMU command line for that request, as an argument list. */
    public List<String> commandLine(LaunchRequest r) {
        VmSpec d = r.vm();
        QemuInstance paths = QemuInstance.of(d.name(), r.host(), 0);
        requireShortEnough(paths.qmpSocket());
        requireShortEnough(paths.toolsSocket());

        List<String> cmd = new ArrayList<>(r.host().qemuWrapper());
        cmd.add(qemuBinary);
        cmd.addAll(List.of("-name", escape(d.name())));
        if (d.uuid() != null) {
            cmd.addAll(List.of("-uuid", d.uuid()));
        }
        // the CPU stays QEMU's default model (qemu64), never -cpu host, also under KVM: a migration needs the
        // same CPU model on both sides, and a host CPU model would tie the guest to one kind of processor
        cmd.addAll(List.of("-machine", r.machine().option(),
                "-m", Integer.toString(d.memoryMiB()),
                "-smp", Integer.toString(d.vcpus()),
                "-nodefaults", "-display", "none", "-no-user-config"));
        List<DiskDefinition> disks = d.disks();
        for (int i = 0; i < disks.size(); i++) {
            DiskDefinition disk = disks.get(i);
            cmd.addAll(r.attachment() == DiskAttachment.DRIVE ? driveArgs(disk) : blockdevArgs(disk));
            // same device ids on both sides: migration matches devices by id
            cmd.addAll(List.of("-device", "virtio-blk-pci,drive=" + nodeName(disk) + ",id=virtio-disk" + i));
        }
        // the serial console: append=on keeps what the file holds (a migration puts the source's output there first)
        cmd.addAll(List.of("-chardev", "file,id=console0,path=" + escape(paths.consoleFile().toString()) + ",append=on",
                "-serial", "chardev:console0"));
        cmd.addAll(List.of(
                "-qmp", "unix:" + escape(paths.qmpSocket().toString()) + ",server=on,wait=off",
                "-qmp", "unix:" + escape(paths.toolsSocket().toString()) + ",server=on,wait=off",
                "-daemonize", "-pidfile", paths.pidFile().toString()));
        if (r.incoming()) {
            cmd.addAll(List.of("-incoming", "defer", "-S"));
        }
        return cmd;
    }

    /** The block backend / node name QEMU knows the disk by, e.g. drive-vda. */
    public static String nodeName(DiskDefinition disk) {
        return DiskNames.nodeName(disk.target());
    }

    /**
     * A writable disk is opened with discard=unmap, as libvirt opens a disk with discard='unmap'
     * (Proxmox: discard=on). Without it QEMU drops the guest's discards and allocates every write of
     * zeroes that may unmap: a migration's copy would take its whole virtual size (raw), because the
     * mirror zeroes the destination's disk through its NBD export before it copies the data. With it
     * those zeroes are holes (raw) or unallocated clusters (qcow2), and a guest that trims gives room
     * back to the host, before and after a migration alike (domains start with -drive and arrive with
     * -blockdev: both get it).
     */
    private static List<String> driveArgs(DiskDefinition disk) {
        String opts = "file=" + escape(disk.file()) + ",format=" + escape(disk.format())
                + ",if=none,id=" + nodeName(disk) + (disk.readonly() ? ",readonly=on" : ",discard=unmap");
        return List.of("-drive", opts);
    }

    private static List<String> blockdevArgs(DiskDefinition disk) {
        String storage = nodeName(disk) + "-storage";
        ObjectNode file = JSON.createObjectNode()
                .put("driver", "file").put("filename", disk.file()).put("node-name", storage);
        ObjectNode format = JSON.createObjectNode()
                .put("driver", disk.format()).put("file", storage).put("node-name", nodeName(disk));
        if (disk.readonly()) {
            // both layers: a writable format node cannot sit on a read-only file node
            file.put("read-only", true);
            format.put("read-only", true);
        } else {
            // both layers, as -drive's discard=unmap sets them (see driveArgs)
            file.put("discard", "unmap");
            format.put("discard", "unmap");
        }
        return List.of("-blockdev", file.toString(), "-blockdev", format.toString());
    }

    /** QEMU's option syntax: a comma inside a value is written twice. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }

    private static void requireShortEnough(Path socket) {
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_SOCKET_PATH) {
            throw new QemuLaunchException("monitor socket path is " + length + " bytes, more than the "
                    + MAX_SOCKET_PATH + " a UNIX socket allows: " + socket + " (use a shorter state-dir)");
        }
    }

    /** Creates the folder and removes what a crashed QEMU left, so only fresh files are seen. */
    private static void prepareFolder(HostConnection host, QemuInstance planned, List<String> cmd) {
        host.createDirectories(planned.dir());
        host.deleteIfExists(planned.qmpSocket());
        host.deleteIfExists(planned.toolsSocket());
        host.deleteIfExists(planned.pidFile());
        host.writeString(planned.logFile(), "--- " + Instant.now() + " " + String.join(" ", cmd) + "\n");
    }

    /** The launch failed: keep QEMU's last words for the exception, then remove all it left. */
    private QemuLaunchException fail(HostConnection host, QemuInstance planned, String what, Throwable cause) {
        OptionalLong pid = host.readPid(planned.pidFile());
        if (pid.isPresent()) {
            processes.kill(QemuInstance.of(planned.domain(), planned.host(), pid.getAsLong()));
        }
        String tail = logTail(host, planned.logFile());
        host.deleteTree(planned.dir());
        return new QemuLaunchException("cannot start QEMU for domain '" + planned.domain() + "' on host '"
                + planned.host().name() + "': " + what + (tail.isEmpty() ? "" : "; QEMU said: " + tail), cause);
    }

    private static String logTail(HostConnection host, Path log) {
        try {
            List<String> lines = host.readString(log).stream().flatMap(String::lines)
                    .filter(l -> !l.startsWith("--- ")).toList();
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())).strip();
            return tail.length() > 4000 ? tail.substring(tail.length() - 4000) : tail;
        } catch (StorageException e) {
            return "";
        }
    }
}
