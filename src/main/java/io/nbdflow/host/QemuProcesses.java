package io.nbdflow.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

import io.nbdflow.qmp.QmpConnectionPool;
import io.nbdflow.qmp.QmpException;

import org.springframework.stereotype.Component;

/**
 * Finds and ends the QEMU processes of domains. Nothing is kept in memory: a QEMU is found
 * from its folder (pid file, live process, monitor socket), so an application restart loses
 * nothing.
 */
@Component
public class QemuProcesses {

    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final QmpConnectionPool pool;

    public QemuProcesses(QmpConnectionPool pool) {
        this.pool = pool;
    }

    /** The live QEMU of that domain on that host: pid file, process alive, monitor socket present. */
    public Optional<QemuInstance> find(Host host, String domain) {
        QemuInstance candidate = QemuInstance.of(domain, host, 0);
        OptionalLong pid = livePid(candidate.pidFile());
        if (pid.isEmpty() || !Files.exists(candidate.qmpSocket())) {
            return Optional.empty();
        }
        return Optional.of(QemuInstance.of(domain, host, pid.getAsLong()));
    }

    /** The pid in the pid file if that process is a live QEMU. */
    OptionalLong livePid(Path pidFile) {
        OptionalLong pid = readPid(pidFile);
        return pid.isPresent() && isAlive(pid.getAsLong()) ? pid : OptionalLong.empty();
    }

    /**
     * Whether the pid is a live QEMU. Reads /proc rather than kill(pid, 0): a daemonized QEMU
     * that exited stays a zombie until PID 1 reaps it, and kill(pid, 0) succeeds on a zombie.
     */
    public boolean isAlive(long pid) {
        return isLiveQemu(pid);
    }

    /** {@link #isAlive} for callers without a pool, e.g. test clean-up. */
    public static boolean isLiveQemu(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'
            int end = stat.lastIndexOf(')');
            char state = end >= 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : 'X';
            if (state == 'Z' || state == 'X') {
                return false;
            }
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).contains("qemu");
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            // the process vanished while we read it
            return false;
        }
    }

    /**
     * Ends the QEMU: QMP quit, up to grace to exit, then SIGKILL; then forgets its monitor
     * connection and deletes its folder. Idempotent: a dead QEMU or a missing folder is fine.
     */
    public void stop(QemuInstance q, Duration grace) {
        if (isAlive(q.pid())) {
            quit(q);
            if (!waitForExit(q.pid(), grace)) {
                ProcessHandle.of(q.pid()).ifPresent(ProcessHandle::destroyForcibly);
                if (!waitForExit(q.pid(), KILL_WAIT)) {
                    throw new IllegalStateException("QEMU pid " + q.pid() + " of domain '" + q.domain()
                            + "' is still alive after SIGKILL");
                }
            }
        }
        pool.evict(q.qmpSocket());
        deleteTree(q.dir());
    }

    /** SIGKILL now and wait until the process is gone; leaves its folder as a crash would. */
    public void kill(QemuInstance q) {
        if (isAlive(q.pid())) {
            ProcessHandle.of(q.pid()).ifPresent(ProcessHandle::destroyForcibly);
            if (!waitForExit(q.pid(), KILL_WAIT)) {
                throw new IllegalStateException("QEMU pid " + q.pid() + " is still alive after SIGKILL");
            }
        }
    }

    private void quit(QemuInstance q) {
        if (!Files.exists(q.qmpSocket())) {
            ProcessHandle.of(q.pid()).ifPresent(ProcessHandle::destroy); // SIGTERM: QEMU shuts down cleanly
            return;
        }
        try {
            pool.get(q.qmpSocket()).execute("quit", null, QUIT_TIMEOUT);
        } catch (QmpException e) {
            // QEMU may close the monitor before answering, or not answer at all: SIGKILL follows if needed
        }
    }

    private boolean waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !isAlive(pid);
            }
        }
        return true;
    }

    /** The pid a pid file holds; empty if the file is missing or not (yet) written. */
    public static OptionalLong readPid(Path pidFile) {
        try {
            String text = Files.readString(pidFile).trim();
            return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
        } catch (NoSuchFileException | NumberFormatException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pidFile, e);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
