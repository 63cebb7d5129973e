package io.nbdflow.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import io.nbdflow.testsupport.TestNetwork.Sh;

/**
 * One host of a {@link TestNetwork}: a network namespace on the bridge, a holder process that owns
 * the host's private mount namespace (its {@link #dataDir()} and /root are tmpfs file systems
 * nobody else sees), and an sshd in those namespaces that can be stopped, started, given a new host
 * key, or cut off, independently of the QEMUs it launched.
 */
public final class TestHost {

    /** The host's data folder, as the host sees it: put state-dir and storage-dir below it. */
    public static final Path DATA_DIR = Path.of("/var/lib/nbdflow");

    /** Mounts the host's private folders, then holds its namespaces open. */
    private static final String HOLDER_SCRIPT = String.join("\n",
            "set -e",
            "mkdir -p \"$1\"",
            "mount -t tmpfs -o size=3g,mode=0755 nbdflow-test-data \"$1\"",
            // root's start-up files of this machine must not run on every command over SSH
            "mount -t tmpfs -o mode=0700 nbdflow-test-root /root",
            "hostname \"$2\"",
            "echo ready",
            "exec sleep infinity");

    private final TestNetwork network;
    private final String name;
    private final String namespace;
    private final String veth;
    private final InetAddress address;
    private final Path dir;
    private Process holder;
    private Process sshd;
    private String hostKeyType = "ed25519";

    TestHost(TestNetwork network, String name, String namespace, String veth, InetAddress address, Path dir) {
        this.network = network;
        this.name = name;
        this.namespace = namespace;
        this.veth = veth;
        this.address = address;
        this.dir = dir;
    }

    public String name() {
        return name;
    }

    /** Where its sshd, NBD servers and incoming migrations listen. */
    public InetAddress address() {
        return address;
    }

    public String namespace() {
        return namespace;
    }

    /** {@link #DATA_DIR}: exists only on this host. */
    public Path dataDir() {
        return DATA_DIR;
    }

    /**
     * The same path of the host, seen from this machine through the holder's root
     * (/proc/PID/root/...): for a test's own setup and checks, never for nbdflow.
     */
    public Path outside(Path onHost) {
        if (!onHost.isAbsolute()) {
            throw new IllegalArgumentException("not an absolute path: " + onHost);
        }
        return Path.of("/proc/" + holder.pid() + "/root").resolve(Path.of("/").relativize(onHost));
    }

    /** The pid of the process holding the host's namespaces. */
    public long holderPid() {
        return holder.pid();
    }

    /** Runs a program inside the host (its network and mount namespaces), as an argument list. */
    public Sh.Result exec(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holder.pid()), "-m", "-u", "-n"));
        cmd.addAll(List.of(argv));
        return Sh.quiet(cmd.toArray(String[]::new));
    }

    /** The pids of every live process in the host's network namespace (sshd, QEMUs, the holder). */
    public List<Long> pids() {
        return TestNetwork.pids(namespace);
    }

    /** The host key's fingerprint as {@code ssh-keygen -l} prints it, e.g. SHA256:AbC... */
    public String hostKeyFingerprint() {
        String line = Sh.run("ssh-keygen", "-l", "-E", "sha256", "-f", hostKey() + ".pub").out();
        return line.split(" ")[1];
    }

    /** "TYPE BASE64" of the current host key, as in a known_hosts line. */
    public String publicKeyLine() {
        try {
            String[] parts = Files.readString(Path.of(hostKey() + ".pub")).trim().split(" ");
            return parts[0] + " " + parts[1];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The type of the current host key (ed25519, rsa, ecdsa). */
    public String hostKeyType() {
        return hostKeyType;
    }

    /**
     * A new host key of that type, sshd restarted with it. The network's known_hosts is NOT updated:
     * call {@link TestNetwork#writeKnownHosts()} through {@link #useHostKeyAndTrustIt} for that.
     */
    public synchronized void useHostKey(String type) {
        hostKeyType = type;
        TestNetwork.keygen(type, hostKey(), "host-" + name);
        stopSshd();
        startSshd();
    }

    /** {@link #useHostKey} and the network's known_hosts rewritten to list the new key. */
    public synchronized void useHostKeyAndTrustIt(String type) {
        useHostKey(type);
        network.writeKnownHosts();
    }

    /**
     * sshd restarted with that LogLevel (e.g. DEBUG1: a line per channel opened, which lets a
     * measurement count the round trips of a run in {@link #sshdLog()}); open connections drop.
     */
    public synchronized void useSshdLogLevel(String level) {
        if (!level.matches("[A-Z0-9]+")) {
            throw new IllegalArgumentException("not a LogLevel: " + level);
        }
        Path config = dir.resolve("sshd_config");
        try {
            String text = Files.readString(config).lines().filter(l -> !l.startsWith("LogLevel "))
                    .collect(Collectors.joining("\n", "", "\n"));
            Files.writeString(config, text + "LogLevel " + level + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        stopSshd();
        startSshd();
    }

    /** What the host's sshd writes (-e: its log goes to standard error), appended over restarts. */
    public Path sshdLog() {
        return dir.resolve("sshd.log");
    }

    /** Kills every sshd of the host, the listener and every session: open SSH connections drop. */
    public synchronized void stopSshd() {
        for (int round = 0; round < 50; round++) {
            List<Long> sshds = pids().stream().filter(p -> isSshd(p)).toList();
            if (sshds.isEmpty()) {
                sshd = null;
                return;
            }
            sshds.forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
            TestNetwork.sleep(100);
        }
        throw new IllegalStateException("sshd of host " + name + " survives SIGKILL");
    }

    /** Starts the host's sshd, returning once it accepts connections. */
    public synchronized void startSshd() {
        if (sshd != null && sshd.isAlive()) {
            return;
        }
        try {
            Files.createDirectories(Path.of("/run/sshd"));
            sshd = new ProcessBuilder("nsenter", "-t", Long.toString(holder.pid()), "-m", "-u", "-n",
                    "/usr/sbin/sshd", "-D", "-e", "-f", dir.resolve("sshd_config").toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.log").toFile()))
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + network.startTimeout().toNanos();
        while (!TestNetwork.listening(address, 22)) {
            if (!sshd.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("sshd of host " + name + " does not listen on " + address.getHostAddress()
                        + ":22: " + TestNetwork.readOrEmpty(dir.resolve("sshd.log")));
            }
            TestNetwork.sleep(50);
        }
    }

    /**
     * A folder of this machine appears at {@code onHost} inside the host (a bind mount in its private
     * mount namespace), the way a share (NFS, say) appears on several hosts at the same path. The
     * path {@code onHost} itself does not exist on this machine.
     */
    public void mountShared(Path source, Path onHost) {
        requireOk(exec("mkdir", "-p", onHost.toString()), "mkdir " + onHost);
        requireOk(exec("mount", "--bind", source.toString(), onHost.toString()),
                "mount --bind " + source + " " + onHost);
    }

    /**
     * Undoes {@link #mountShared} (lazily: a QEMU still holding a file there keeps it until it
     * exits) and removes the mount point.
     */
    public void unmountShared(Path onHost) {
        Sh.Result r = exec("umount", "-l", onHost.toString());
        if (r.ok()) {
            exec("rmdir", onHost.toString());
        }
    }

    private void requireOk(Sh.Result r, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + " on " + this + " exited " + r.exit() + ": " + r.err() + r.out());
        }
    }

    /** The host's link down: packets are dropped, nothing is reset (a cable pulled, a switch gone). */
    public void cutLink() {
        Sh.run("ip", "link", "set", veth, "down");
    }

    public void restoreLink() {
        Sh.run("ip", "link", "set", veth, "up");
    }

    void create() {
        try {
            Files.createDirectories(dir);
            TestNetwork.keygen(hostKeyType, hostKey(), "host-" + name);
            Files.writeString(dir.resolve("sshd_config"), String.join("\n",
                    "ListenAddress " + address.getHostAddress() + ":22",
                    "HostKey " + hostKey(),
                    "PidFile " + dir.resolve("sshd.pid"),
                    "AuthorizedKeysFile " + network.dir().resolve("authorized_keys"),
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "AllowStreamLocalForwarding yes",
                    // sshd permits no stream-local channel (a monitor socket) unless it permits local TCP forwarding
                    "AllowTcpForwarding local",
                    "X11Forwarding no",
                    "MaxSessions 100",
                    "MaxStartups 100:30:200",
                    "") );
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Sh.run("ip", "netns", "add", namespace);
        Sh.run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace);
        Sh.run("ip", "link", "set", veth, "master", network.bridge());
        Sh.run("ip", "link", "set", veth, "up");
        Sh.run("ip", "netns", "exec", namespace, "ip", "addr", "add", address.getHostAddress() + "/24", "dev", "eth0");
        Sh.run("ip", "netns", "exec", namespace, "ip", "link", "set", "eth0", "up");
        Sh.run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up");
        startHolder();
        startSshd();
    }

    private void startHolder() {
        try {
            holder = new ProcessBuilder("ip", "netns", "exec", namespace, "unshare", "--mount", "--uts",
                    "--propagation", "private", "/bin/sh", "-c", HOLDER_SCRIPT, "holder", DATA_DIR.toString(),
                    "host-" + name)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("holder.log").toFile()))
                    .start();
            String first = new String(holder.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
            if (!first.equals("ready\n")) {
                throw new IllegalStateException("host " + name + " could not set up its folders: "
                        + TestNetwork.readOrEmpty(dir.resolve("holder.log")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void destroy() {
        TestNetwork.killAll(namespace);
        Sh.quiet("ip", "netns", "del", namespace);
        Sh.quiet("ip", "link", "del", veth);
    }

    private Path hostKey() {
        return dir.resolve("hostkey");
    }

    private static boolean isSshd(long pid) {
        return TestNetwork.readOrEmpty(Path.of("/proc/" + pid + "/comm")).trim().equals("sshd");
    }

    @Override
    public String toString() {
        return "test host " + name + " (" + address.getHostAddress() + ", namespace " + namespace + ")";
    }
}
