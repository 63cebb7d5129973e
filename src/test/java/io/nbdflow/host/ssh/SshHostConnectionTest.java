package io.nbdflow.host.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.nbdflow.host.CommandResult;
import io.nbdflow.host.Host;
import io.nbdflow.host.SshTarget;
import io.nbdflow.host.QemuLook;
import io.nbdflow.host.StorageException;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestHost;
import io.nbdflow.testsupport.TestNetwork;

/**
 * A host that is another machine, reached over SSH: a test host of {@link TestNetwork} (its own
 * network and mount namespaces and sshd), whose folders this machine sees only through
 * {@link TestHost#outside}. Every HostConnection method is run over SSH and its effect checked
 * from outside.
 */
class SshHostConnectionTest {

    private static final Duration T = Duration.ofSeconds(30);

    private TestNetwork network;
    private TestHost remote;
    private Path base;
    private Host host;
    private SshHostConnection connection;
    private final List<Long> qemuPids = new ArrayList<>();

    @BeforeEach
    void setUp() {
        network = TestNetwork.shared();
        remote = network.host("a");
        base = remote.dataDir().resolve("t-" + UUID.randomUUID());
        host = hostReachedWith(remote, network.clientKey("ed25519"), network.knownHosts());
        connection = new SshHostConnection(host);
        connection.createDirectories(host.stateDir());
        connection.createDirectories(host.storageDir());
    }

    @AfterEach
    void tearDown() throws IOException {
        for (long pid : qemuPids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        connection.close();
        Path outside = remote.outside(base);
        if (Files.exists(outside)) {
            remote.exec("rm", "-rf", base.toString());
        }
    }

    /** Whether that process has ended (the processes share this machine's pid space); a zombie has. */
    private static boolean gone(long pid) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            Path stat = Path.of("/proc/" + pid + "/stat");
            String text;
            try {
                text = Files.readString(stat);
            } catch (java.nio.file.NoSuchFileException e) {
                return true;
            }
            if (text.substring(text.lastIndexOf(')') + 2).startsWith("Z")) {
                return true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private Host hostReachedWith(TestHost h, Path identity, Path knownHosts) {
        return new Host("remote-" + h.name(), h.address(), base.resolve("state"), base.resolve("images"), null, null,
                new SshTarget(h.address().getHostAddress(), 22, "root", identity, knownHosts), null);
    }

    private Path outside(Path onHost) {
        return remote.outside(onHost);
    }

    // --- programs

    @Test
    void runsAProgramWithItsInput() {
        CommandResult r = connection.run(List.of("cat"), "one\ntwo\n", T);
        assertThat(r.ok()).isTrue();
        assertThat(r.stdout()).isEqualTo("one\ntwo\n");

        CommandResult failed = connection.run(List.of("sh", "-c", "echo oops >&2; exit 3"), T);
        assertThat(failed.exitCode()).isEqualTo(3);
        assertThat(failed.stderr()).isEqualTo("oops\n");
        assertThatThrownBy(() -> connection.run(List.of(base.resolve("no-such-program").toString()), T))
                .isInstanceOf(StorageException.class).hasMessageContaining("no-such-program");
        assertThatThrownBy(() -> connection.run(List.of("no-such-program-anywhere"), T))
                .isInstanceOf(StorageException.class).hasMessageContaining("no-such-program-anywhere");

        // without input the program reads an empty standard input, it does not wait for one
        assertThat(connection.run(List.of("cat"), T).stdout()).isEmpty();
        assertThat(connection.hostKeyFingerprint()).contains(remote.hostKeyFingerprint());
    }

    /** The timeout kills the program on the host, not only our end of the channel. */
    @Test
    void aProgramPastItsTimeoutIsKilledOnTheHost() throws IOException {
        Path pidFile = host.stateDir().resolve("sleeper.pid");
        long start = System.nanoTime();
        assertThatThrownBy(() -> connection.run(List.of("sh", "-c", "echo $$ > \"$0\"; exec sleep 60",
                pidFile.toString()), Duration.ofSeconds(2)))
                .isInstanceOf(StorageException.class).hasMessageContaining("did not finish within");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        long pid = Long.parseLong(Files.readString(outside(pidFile)).trim());
        assertThat(gone(pid)).isTrue();
    }

    /** Every argument reaches the program as it is, whatever a shell would make of it. */
    @Test
    void argumentsReachTheProgramIntactWhateverTheyHold() throws IOException {
        String name = "disk with spaces 'single' \"double\" $HOME ;echo pwned; `id` $(id)\nsecond line.qcow2";
        Path disk = host.storageDir().resolve(name);
        CommandResult created = connection.run(List.of("qemu-img", "create", "-f", "qcow2", disk.toString(), "1M"), T);
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        assertThat(Files.isRegularFile(outside(disk))).isTrue();
        assertThat(connection.list(host.storageDir())).containsExactly(name);

        CommandResult info = connection.run(List.of("qemu-img", "info", "--output=json", disk.toString()), T);
        assertThat(info.exitCode()).as(info.stderr()).isZero();
        assertThat(info.stdout()).contains("\"virtual-size\": 1048576").contains("\"format\": \"qcow2\"");
        assertThat(connection.isRegularFile(disk)).isTrue();
        assertThat(connection.realPath(disk)).contains(disk);

        CommandResult echoed = connection.run(List.of("printf", "%s|", name, "", "*"), T);
        assertThat(echoed.stdout()).isEqualTo(name + "||*|");
        assertThat(connection.deleteFileBelowHostFolders(disk)).isTrue();
        assertThat(Files.exists(outside(disk))).isFalse();
    }

    @Test
    void aDaemonizingProgramWritesToTheLogAndReturnsItsStatus() throws IOException {
        Path log = host.stateDir().resolve("launch log");
        Files.writeString(outside(log), "before\n");
        OptionalInt status = connection.runDaemonizing(List.of("sh", "-c", "echo out; echo err >&2; read x; exit 4"),
                log, T);
        assertThat(status).hasValue(4);
        assertThat(Files.readString(outside(log))).isEqualTo("before\nout\nerr\n");

        assertThat(connection.runDaemonizing(List.of("sleep", "30"), log, Duration.ofSeconds(1))).isEmpty();
        assertThatThrownBy(() -> connection.runDaemonizing(List.of("no-such-program-anywhere"), log, T))
                .isInstanceOf(StorageException.class).hasMessageContaining("no-such-program-anywhere");
    }

    @Test
    void findsExecutablesOnTheHost() throws IOException {
        assertThat(connection.findExecutable("qemu-img")).hasValueSatisfying(p -> assertThat(p.toString())
                .endsWith("/qemu-img"));
        assertThat(connection.findExecutable("no-such-program-anywhere")).isEmpty();
        assertThat(connection.findExecutable("")).isEmpty();

        // a program that exists only on the host is found there
        Path program = host.stateDir().resolve("only-here");
        Files.writeString(outside(program), "#!/bin/sh\necho here\n");
        assertThat(connection.findExecutable(program.toString())).isEmpty(); // not executable
        outside(program).toFile().setExecutable(true);
        assertThat(connection.findExecutable(program.toString())).contains(program);
        assertThat(Files.exists(program)).as("the program is not on this machine").isFalse();
    }

    // --- processes and monitors

    /** A real QEMU on the host: alive, its command line, its monitor through QmpClient, then gone. */
    @Test
    void aQemuOnTheHostIsSeenAndReachedThroughItsMonitor() throws Exception {
        Path dir = host.stateDir().resolve("vm one");
        connection.createDirectories(dir);
        Path socket = dir.resolve("qmp.sock");
        Path pidFile = dir.resolve("qemu.pid");
        assertThatThrownBy(() -> connection.openMonitor(socket)).isInstanceOf(IOException.class);

        List<String> argv = new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults",
                "-display", "none", "-machine", "none", "-S", "-qmp", "unix:" + socket + ",server=on,wait=off",
                "-daemonize", "-pidfile", pidFile.toString()));
        // more monitors than one SSH connection carries
        List<Path> extra = new ArrayList<>();
        for (int i = 0; i < 2 * SshSession.MAX_CHANNELS + 1; i++) {
            extra.add(dir.resolve("extra-" + i + ".sock"));
            argv.addAll(List.of("-qmp", "unix:" + extra.get(i) + ",server=on,wait=off"));
        }
        OptionalInt launched = connection.runDaemonizing(argv, dir.resolve("qemu.log"), T);
        OptionalLong pid = connection.readPid(pidFile);
        pid.ifPresent(qemuPids::add);
        assertThat(launched).as(connection.readString(dir.resolve("qemu.log")).orElse("")).hasValue(0);
        assertThat(pid).isPresent();
        assertThat(connection.isLiveQemu(pid.getAsLong())).isTrue();
        assertThat(connection.commandLine(pid.getAsLong())).hasValueSatisfying(seen ->
                assertThat(seen).startsWith("qemu-system-x86_64").contains("unix:" + socket + ",server=on,wait=off"));
        // the one-command look finds what the separate calls find
        assertThat(connection.lookAtQemu(pidFile, socket)).contains(new QemuLook(pid.getAsLong(),
                connection.commandLine(pid.getAsLong()).orElseThrow(), true));
        assertThat(connection.lookAtQemu(pidFile, dir.resolve("no.sock")).orElseThrow().socketExists()).isFalse();
        assertThat(connection.lookAtQemu(dir.resolve("no.pid"), socket)).isEmpty();

        try (QmpClient qmp = QmpClient.connect(socket, () -> connection.openMonitor(socket), Duration.ofSeconds(10))) {
            JsonNode status = qmp.execute("query-status");
            assertThat(status.path("status").asText()).isEqualTo("prelaunch");

            // QEMU serves one client: a second stream gets no greeting, its read blocks until closed
            ByteChannel second = connection.openMonitor(socket);
            CompletableFuture<Object> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return second.read(ByteBuffer.allocate(100));
                } catch (IOException e) {
                    return e;
                }
            });
            Thread.sleep(500);
            assertThat(read).isNotDone();
            second.close();
            assertThat(read.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
            assertThat(qmp.execute("query-status").path("status").asText()).isEqualTo("prelaunch");

            // more monitors than one SSH connection carries: they spread over further connections,
            // each greets at once, and commands still get channels meanwhile
            List<ByteChannel> many = new ArrayList<>();
            try {
                for (Path extraSocket : extra) {
                    ByteChannel c = connection.openMonitor(extraSocket);
                    many.add(c);
                    ByteBuffer greeting = ByteBuffer.allocate(4096);
                    while (greeting.position() == 0 || greeting.get(greeting.position() - 1) != '\n') {
                        assertThat(c.read(greeting)).isPositive();
                    }
                    assertThat(new String(greeting.array(), 0, greeting.position())).startsWith("{\"QMP\"");
                }
                assertThat(connection.run(List.of("echo", "still"), T).stdout()).isEqualTo("still\n");
                // one connection for commands, three carrying the 18 monitors (8 each at most)
                String established = remote.exec("ss", "-Htn", "state", "established", "( sport = :22 )").out();
                assertThat(established.lines().count()).as(established).isGreaterThanOrEqualTo(4);
            } finally {
                for (ByteChannel c : many) {
                    c.close();
                }
            }
            assertThat(qmp.execute("query-status").path("status").asText()).isEqualTo("prelaunch");
        }

        connection.terminate(pid.getAsLong());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (connection.isLiveQemu(pid.getAsLong()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(connection.isLiveQemu(pid.getAsLong())).isFalse();
        assertThat(connection.lookAtQemu(pidFile, socket)).isEmpty();
        assertThat(gone(pid.getAsLong())).isTrue();
        assertThat(connection.hasExited(pid.getAsLong())).isTrue();
        connection.kill(pid.getAsLong()); // an absent process is fine
        connection.terminate(pid.getAsLong());
        assertThat(connection.isLiveQemu(1)).isFalse(); // alive, but not a QEMU
        assertThat(connection.hasExited(1)).isFalse();
        assertThat(connection.commandLine(1)).isPresent();
    }

    // --- files

    @Test
    void filesAndFolders() throws IOException {
        Path dir = host.stateDir().resolve("a b/c");
        assertThat(connection.exists(dir)).isFalse();
        assertThat(connection.list(dir)).isEmpty();
        connection.createDirectories(dir);
        connection.createDirectories(dir);
        assertThat(Files.isDirectory(outside(dir))).isTrue();
        assertThat(connection.exists(dir)).isTrue();
        assertThat(connection.isRegularFile(dir)).isFalse();

        Path file = dir.resolve("lock");
        connection.createNewFile(file);
        assertThatThrownBy(() -> connection.createNewFile(file)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> connection.createNewFile(dir)).isInstanceOf(FileAlreadyExistsException.class);
        Path dangling = dir.resolve("dangling");
        Files.createSymbolicLink(outside(dangling), Path.of("/nowhere/at/all"));
        assertThatThrownBy(() -> connection.createNewFile(dangling)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(connection.exists(dangling)).isTrue();
        assertThat(connection.realPath(dangling)).isEmpty();
        assertThat(connection.readString(dangling)).isEmpty();
        assertThat(connection.isRegularFile(file)).isTrue();
        assertThat(connection.readString(file)).contains("");

        Path text = dir.resolve("notes.txt");
        assertThat(connection.readString(text)).isEmpty();
        connection.writeString(text, "héllo\n");
        connection.writeString(text, "first\n");
        connection.append(text, "second\n");
        connection.append(dir.resolve("new.txt"), "x");
        assertThat(Files.readString(outside(text))).isEqualTo("first\nsecond\n");
        assertThat(connection.readString(text)).contains("first\nsecond\n");
        assertThat(connection.readString(dir.resolve("new.txt"))).contains("x");
        Files.writeString(outside(dir.resolve("pid")), "1234\n");
        assertThat(connection.readPid(dir.resolve("pid"))).hasValue(1234);

        Path link = host.stateDir().resolve("link");
        Files.createSymbolicLink(outside(link), dir);
        assertThat(connection.realPath(link)).contains(dir);
        assertThat(connection.realPath(host.stateDir().resolve("a b/../a b/c/lock"))).contains(file);
        assertThat(connection.list(link)).containsExactly("dangling", "lock", "new.txt", "notes.txt", "pid");
        assertThatThrownBy(() -> connection.list(file)).isInstanceOf(StorageException.class);

        assertThat(connection.deleteIfExists(file)).isTrue();
        assertThat(connection.deleteIfExists(file)).isFalse();
        assertThat(Files.exists(outside(file))).isFalse();
        assertThat(connection.deleteIfExists(dangling)).isTrue();
        assertThat(connection.exists(dangling)).isFalse();

        long space = connection.usableSpace(host.stateDir());
        // the host's data folder is a tmpfs of 3 GiB, this machine's /var/lib is another file system
        assertThat(space).isPositive().isLessThanOrEqualTo(3L << 30);
        assertThatThrownBy(() -> connection.usableSpace(host.stateDir().resolve("nowhere")))
                .isInstanceOf(StorageException.class);
    }

    /** Deletes stay inside the host's folders, also through symbolic links resolved on the host. */
    @Test
    void deletionsNeverLeaveTheHostsFolders() throws IOException {
        Path victim = base.resolve("victim");
        Files.writeString(outside(victim), "precious");
        assertThatThrownBy(() -> connection.deleteFileBelowHostFolders(victim))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.deleteFileBelowHostFolders(host.storageDir().resolve("../victim")))
                .isInstanceOf(IllegalArgumentException.class);
        Path escape = host.storageDir().resolve("escape");
        Files.createSymbolicLink(outside(escape), base);
        assertThatThrownBy(() -> connection.deleteFileBelowHostFolders(escape.resolve("victim")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.deleteTree(escape.resolve("victim")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.deleteTree(host.stateDir())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.deleteTree(base)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readString(outside(victim))).isEqualTo("precious");
        assertThat(connection.deleteFileBelowHostFolders(host.storageDir().resolve("none"))).isFalse();
        assertThat(connection.deleteFileBelowHostFolders(host.storageDir().resolve("no/such"))).isFalse();

        Path tree = host.stateDir().resolve("domain");
        connection.createDirectories(tree.resolve("deep/deeper"));
        connection.writeString(tree.resolve("deep/deeper/f"), "x");
        Files.createSymbolicLink(outside(tree.resolve("out")), base);
        connection.deleteTree(tree);
        assertThat(Files.exists(outside(tree))).isFalse();
        assertThat(Files.readString(outside(victim))).isEqualTo("precious");
        connection.deleteTree(tree); // nothing there: nothing to do
    }

    // --- the connection

    /** Each method is one command on the host: one exec channel, whatever it checks there. */
    @Test
    void eachMethodIsOneCommandOnTheHost() throws IOException {
        Path dir = host.stateDir().resolve("d");
        Path file = dir.resolve("f");
        Path gone = host.storageDir().resolve("gone");
        connection.createDirectories(host.storageDir().resolve("tree"));
        Map<String, ThrowingRunnable> calls = new LinkedHashMap<>();
        calls.put("run", () -> connection.run(List.of("true"), T));
        calls.put("run with input", () -> connection.run(List.of("cat"), "x", T));
        calls.put("runDaemonizing", () -> connection.runDaemonizing(List.of("true"), dir.resolve("log"), T));
        calls.put("findExecutable", () -> connection.findExecutable("qemu-img"));
        calls.put("isLiveQemu", () -> connection.isLiveQemu(1));
        calls.put("hasExited", () -> connection.hasExited(1));
        calls.put("commandLine", () -> connection.commandLine(1));
        calls.put("lookAtQemu", () -> connection.lookAtQemu(dir.resolve("pid"), dir.resolve("sock")));
        calls.put("terminate", () -> connection.terminate(999_999_999));
        calls.put("kill", () -> connection.kill(999_999_999));
        calls.put("readPid", () -> connection.readPid(dir.resolve("pid")));
        calls.put("exists", () -> connection.exists(dir));
        calls.put("isRegularFile", () -> connection.isRegularFile(dir));
        calls.put("realPath", () -> connection.realPath(dir));
        calls.put("createNewFile", () -> connection.createNewFile(file));
        calls.put("deleteIfExists", () -> connection.deleteIfExists(file));
        calls.put("deleteFileBelowHostFolders", () -> connection.deleteFileBelowHostFolders(gone));
        calls.put("deleteTree", () -> connection.deleteTree(host.storageDir().resolve("tree")));
        calls.put("list", () -> connection.list(dir));
        calls.put("readString", () -> connection.readString(file));
        calls.put("writeString", () -> connection.writeString(file, "x"));
        calls.put("append", () -> connection.append(file, "y"));
        calls.put("usableSpace", () -> connection.usableSpace(dir));
        connection.createDirectories(dir);
        StringBuilder costs = new StringBuilder();
        for (Map.Entry<String, ThrowingRunnable> call : calls.entrySet()) {
            long before = connection.commandsRun();
            long start = System.nanoTime();
            call.getValue().run();
            long micros = (System.nanoTime() - start) / 1000;
            costs.append(call.getKey()).append(": ").append(connection.commandsRun() - before).append(" command, ")
                    .append(micros / 1000.0).append(" ms\n");
            assertThat(connection.commandsRun() - before).as(call.getKey()).isEqualTo(1);
        }
        System.out.print(costs);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws IOException;
    }

    /** The connection dropping under a call fails that call; the next call connects again. */
    @Test
    void reconnectsAfterSshdRestarts() throws Exception {
        assertThat(connection.exists(host.stateDir())).isTrue();
        CompletableFuture<CommandResult> inFlight = CompletableFuture.supplyAsync(
                () -> connection.run(List.of("sleep", "30"), Duration.ofSeconds(60)));
        Thread.sleep(1000);
        remote.stopSshd();
        try {
            assertThatThrownBy(() -> inFlight.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StorageException.class)
                    .hasMessageContaining("lost");
            assertThatThrownBy(() -> connection.exists(host.stateDir())).isInstanceOf(StorageException.class)
                    .hasMessageContaining("remote-a");
        } finally {
            remote.startSshd();
        }
        assertThat(connection.exists(host.stateDir())).isTrue();
    }

    /** A link that silently drops everything: the call in flight fails in bounded time, a later one reconnects. */
    @Test
    void aCutLinkFailsTheCallAndALaterCallReconnects() {
        assertThat(connection.exists(host.stateDir())).isTrue();
        remote.cutLink();
        long start = System.nanoTime();
        try {
            assertThatThrownBy(() -> connection.run(List.of("true"), Duration.ofSeconds(60)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("remote-a");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(25));
        } finally {
            remote.restoreLink();
        }
        assertThat(connection.exists(host.stateDir())).isTrue();
    }

    @Test
    void aChangedHostKeyIsRefusedNamingHostAndFingerprint() throws IOException {
        // the file lists another host's key (same type) for this host's address
        Path known = Files.createTempFile("known_hosts", "");
        try {
            Files.writeString(known, remote.address().getHostAddress() + " " + network.host("b").publicKeyLine() + "\n");
            SshHostConnection c = new SshHostConnection(hostReachedWith(remote, network.clientKey("ed25519"), known));
            assertThatThrownBy(() -> c.exists(base)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("remote-a")
                    .hasMessageContaining(remote.address().getHostAddress() + ":22")
                    .hasMessageContaining("changed")
                    .hasMessageContaining("ssh-ed25519 " + remote.hostKeyFingerprint());
            c.close();

            Files.writeString(known, "");
            SshHostConnection unknown = new SshHostConnection(hostReachedWith(remote, network.clientKey("ed25519"), known));
            assertThatThrownBy(() -> unknown.exists(base)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("remote-a")
                    .hasMessageContaining("unknown")
                    .hasMessageContaining(remote.hostKeyFingerprint());
            // the file is read again at each connection: once the operator adds the key, it connects
            Files.writeString(known, remote.address().getHostAddress() + " " + remote.publicKeyLine() + "\n");
            assertThat(unknown.exists(base)).isTrue();
            unknown.close();

            // hashed entries work too
            Files.writeString(known, remote.address().getHostAddress() + " " + remote.publicKeyLine() + "\n");
            Process p = new ProcessBuilder("ssh-keygen", "-H", "-f", known.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertThat(p.waitFor()).isZero();
            assertThat(Files.readString(known)).startsWith("|1|");
            SshHostConnection hashed = new SshHostConnection(hostReachedWith(remote, network.clientKey("ed25519"), known));
            assertThat(hashed.exists(base)).isTrue();
            hashed.close();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            Files.deleteIfExists(known);
            Files.deleteIfExists(Path.of(known + ".old"));
        }
    }

    /** Every host key type with every client key type. */
    @Test
    void everyKeyTypeLogsIn() {
        TestHost c = network.host("c");
        try {
            for (String hostKey : TestNetwork.KEY_TYPES) {
                c.useHostKeyAndTrustIt(hostKey);
                for (String clientKey : TestNetwork.KEY_TYPES) {
                    Host h = new Host("remote-c", c.address(), base.resolve("state"), base.resolve("images"), null,
                            null, new SshTarget(c.address().getHostAddress(), 22, "root", network.clientKey(clientKey),
                            network.knownHosts()), null);
                    try (SshHostConnection conn = new SshHostConnection(h)) {
                        assertThat(conn.run(List.of("echo", "ok"), T).stdout())
                                .as(hostKey + " host key, " + clientKey + " client key").isEqualTo("ok\n");
                        assertThat(conn.hostKeyFingerprint()).contains(c.hostKeyFingerprint());
                    }
                }
            }
        } finally {
            c.useHostKeyAndTrustIt("ed25519");
        }
    }
}
