package io.nbdflow.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host that is this machine: programs, pid files, folders and monitor sockets. */
class LocalHostConnectionTest {

    @TempDir
    Path dir;

    private Host host;
    private HostConnection connection;

    @BeforeEach
    void setUp() throws IOException {
        host = new Host("host-a", InetAddress.getLoopbackAddress(), dir.resolve("state"), dir.resolve("images"));
        Files.createDirectories(host.stateDir());
        Files.createDirectories(host.storageDir());
        connection = new LocalHostConnection(host);
    }

    @Test
    void runsAProgramWithItsInput() {
        CommandResult r = connection.run(List.of("cat"), "one\ntwo\n", Duration.ofSeconds(10));
        assertThat(r.ok()).isTrue();
        assertThat(r.stdout()).isEqualTo("one\ntwo\n");

        CommandResult failed = connection.run(List.of("sh", "-c", "echo oops >&2; exit 3"), Duration.ofSeconds(10));
        assertThat(failed.exitCode()).isEqualTo(3);
        assertThat(failed.stderr()).isEqualTo("oops\n");
        assertThatThrownBy(() -> connection.run(List.of(dir.resolve("no-such-program").toString()),
                Duration.ofSeconds(10))).isInstanceOf(StorageException.class).hasMessageContaining("no-such-program");
    }

    /** A file delete from records stays inside the host's folders, also through a symbolic link. */
    @Test
    void aConfinedFileDeleteNeverLeavesTheHostsFolders() throws IOException {
        Path inside = host.storageDir().resolve("disk.qcow2");
        Files.writeString(inside, "x");
        assertThat(connection.deleteFileBelowHostFolders(inside)).isTrue();
        assertThat(connection.deleteFileBelowHostFolders(inside)).isFalse();

        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious");
        assertThatThrownBy(() -> connection.deleteFileBelowHostFolders(victim))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.deleteFileBelowHostFolders(host.storageDir().resolve("../victim")))
                .isInstanceOf(IllegalArgumentException.class);
        Files.createSymbolicLink(host.storageDir().resolve("escape"), dir);
        assertThatThrownBy(() -> connection.deleteFileBelowHostFolders(host.storageDir().resolve("escape/victim")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(victim).hasContent("precious");
    }

    @Test
    void theCommandLineOfAProcess() {
        assertThat(connection.commandLine(ProcessHandle.current().pid())).hasValueSatisfying(
                args -> assertThat(args.get(0)).contains("java"));
        assertThat(connection.commandLine(Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void aDaemonizingProgramAppendsItsOutputToTheLog() {
        Path log = host.stateDir().resolve("out.log");
        connection.writeString(log, "--- header\n");

        OptionalInt exit = connection.runDaemonizing(List.of("sh", "-c", "echo out; echo err >&2; exit 2"), log,
                Duration.ofSeconds(10));

        assertThat(exit).isEqualTo(OptionalInt.of(2));
        assertThat(connection.readString(log)).contains("--- header\nout\nerr\n");
        assertThat(connection.runDaemonizing(List.of("sleep", "30"), log, Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void readsAPidFile() {
        Path pidFile = host.stateDir().resolve("qemu.pid");
        assertThat(connection.readPid(pidFile)).isEmpty();
        connection.writeString(pidFile, "");
        assertThat(connection.readPid(pidFile)).isEmpty(); // not yet written
        connection.writeString(pidFile, "4242\n");
        assertThat(connection.readPid(pidFile)).isEqualTo(OptionalLong.of(4242));
        connection.writeString(pidFile, "not a pid");
        assertThat(connection.readPid(pidFile)).isEmpty();
    }

    @Test
    void deletesATreeBelowTheHostsFolders() throws IOException {
        Path domain = host.stateDir().resolve("vm1");
        Files.createDirectories(domain.resolve("sub"));
        Files.writeString(domain.resolve("sub").resolve("file"), "x");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path kept = Files.writeString(outside.resolve("kept"), "x");
        Files.createSymbolicLink(domain.resolve("link"), outside);

        connection.deleteTree(domain);

        assertThat(domain).doesNotExist();
        assertThat(kept).exists(); // the link went, not what it pointed to
        connection.deleteTree(domain); // nothing left: nothing to do
        Path image = Files.createDirectories(host.storageDir().resolve("vm1"));
        connection.deleteTree(image);
        assertThat(image).doesNotExist();
    }

    @Test
    void refusesToDeleteATreeAnywhereElse() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path kept = Files.writeString(outside.resolve("kept"), "x");
        Files.createSymbolicLink(host.stateDir().resolve("escape"), outside);

        for (Path p : List.of(outside, host.stateDir(), host.storageDir(), host.stateDir().resolve("../outside"),
                dir, Path.of("/"))) {
            assertThatThrownBy(() -> connection.deleteTree(p)).as(p.toString())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refusing");
        }
        Files.createDirectories(outside.resolve("inner"));
        assertThatThrownBy(() -> connection.deleteTree(host.stateDir().resolve("escape").resolve("inner")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refusing");
        assertThat(kept).exists();
        assertThat(outside.resolve("inner")).exists();
        assertThat(host.stateDir()).exists();
    }

    @Test
    void filesFoldersAndFreeSpace() throws Exception {
        Path folder = host.storageDir().resolve("a").resolve("b");
        connection.createDirectories(folder);
        Path file = folder.resolve("f");
        connection.createNewFile(file);
        assertThat(connection.exists(file)).isTrue();
        assertThat(connection.isRegularFile(file)).isTrue();
        assertThat(connection.isRegularFile(folder)).isFalse();
        assertThatThrownBy(() -> connection.createNewFile(file))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        connection.append(file, "one\n");
        connection.append(file, "two\n");
        assertThat(connection.readString(file)).contains("one\ntwo\n");
        assertThat(connection.deleteIfExists(file)).isTrue();
        assertThat(connection.deleteIfExists(file)).isFalse();
        assertThat(connection.readString(file)).isEmpty();
        assertThat(connection.usableSpace(folder)).isPositive();
    }

    @Test
    void aProcessThatIsNotQemuIsNotALiveQemu() throws IOException {
        Process sleep = new ProcessBuilder("sleep", "30").start();
        try {
            assertThat(connection.isLiveQemu(sleep.pid())).isFalse();
            assertThat(connection.hasExited(sleep.pid())).isFalse();
        } finally {
            sleep.destroyForcibly();
        }
        sleep.onExit().join();
        assertThat(connection.hasExited(sleep.pid())).as("reaped").isTrue();
        assertThat(connection.isLiveQemu(Long.MAX_VALUE)).isFalse();
        assertThat(connection.hasExited(Long.MAX_VALUE)).isTrue();
    }

    @Test
    void aMonitorNobodyListensOnCannotBeOpened() {
        assertThatThrownBy(() -> connection.openMonitor(host.stateDir().resolve("nobody.sock")))
                .isInstanceOf(IOException.class);
    }

    @Test
    void findsPrograms() {
        assertThat(connection.findExecutable("qemu-img")).isPresent();
        assertThat(connection.findExecutable(dir.resolve("nothing").toString())).isEmpty();
    }
}
