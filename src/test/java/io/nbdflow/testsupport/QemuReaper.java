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

    private static void waitUntilGone(long pid) {
        try {
            Wait.until("QEMU pid " + pid + " gone after SIGKILL", Duration.ofSeconds(10),
                    () -> !QemuProcesses.isLiveQemu(pid));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
