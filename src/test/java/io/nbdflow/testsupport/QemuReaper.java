package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;

/**
 * Test clean-up: SIGKILL every QEMU whose pid file (qemu.pid) lies below a folder, and wait
 * until each is gone. Use in @AfterEach / finally with the test's @TempDir or state dirs:
 * <pre>
 * &#64;AfterEach void reap() { QemuReaper.killAllBelow(tempDir); }
 * </pre>
 */
public final class QemuReaper {

    private QemuReaper() {
    }

    /** Kills them all; returns how many were alive. */
    public static int killAllBelow(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        List<Path> pidFiles;
        try (Stream<Path> files = Files.walk(dir)) {
            pidFiles = files.filter(p -> p.getFileName().toString().equals(QemuInstance.PID_FILE)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int killed = 0;
        for (Path pidFile : pidFiles) {
            OptionalLong pid = QemuProcesses.readPid(pidFile);
            if (pid.isPresent() && QemuProcesses.isLiveQemu(pid.getAsLong())) {
                ProcessHandle.of(pid.getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
                killed++;
                waitUntilGone(pid.getAsLong());
            }
        }
        return killed;
    }

    /**
     * Whether the process has finished exiting: gone, or a zombie. A QEMU that is exiting drops its
     * memory (its command line reads empty, so it no longer looks like a QEMU) before it closes its
     * files: its image locks are held a little longer, most visibly under KVM.
     */
    public static boolean exited(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (IOException e) {
            return true;
        }
        String state = stat.substring(stat.lastIndexOf(") ") + 2);
        return state.startsWith("Z") || state.startsWith("X");
    }

    private static void waitUntilGone(long pid) {
        try {
            Wait.until("QEMU pid " + pid + " gone after SIGKILL", Duration.ofSeconds(10),
                    () -> !QemuProcesses.isLiveQemu(pid) && exited(pid));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
