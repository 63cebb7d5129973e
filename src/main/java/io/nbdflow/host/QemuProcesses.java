package io.nbdflow.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

import io.nbdflow.qmp.QmpException;

import org.springframework.stereotype.Component;

/**
 * Finds and ends the QEMU processes of domains, on each host through its connection. Nothing is
 * kept in memory: a QEMU is found from its folder (pid file, live process, monitor socket), so an
 * application restart loses nothing.
 */
@Component
public class QemuProcesses {

    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final Hosts hosts;
    private final Monitors monitors;

    public QemuProcesses(Hosts hosts, Monitors monitors) {
        this.hosts = hosts;
        this.monitors = monitors;
    }

    /**
     * The live QEMU of that domain on that host: pid file, process alive and launched by nbdflow
     * for that domain ({@link #isOwnQemu}), monitor socket present.
     */
    public Optional<QemuInstance> find(Host host, String domain) {
        QemuInstance candidate = QemuInstance.of(domain, host, 0);
        // the pid comes from the domain's own pid file, so the command line is all left to check
        return hosts.connection(host).lookAtQemu(candidate.pidFile(), candidate.qmpSocket())
                .filter(look -> look.socketExists() && launchedFor(look.commandLine(), candidate))
                .map(look -> QemuInstance.of(domain, host, look.pid()));
    }

    /**
     * Whether that pid is the QEMU nbdflow launched for that domain on that host: a live QEMU whose
     * command line carries {@code -name <domain>} and {@code -pidfile <the domain's pid file>}, and
     * that pid file holds this pid. Anything else (another VM, a reused pid, a pid from a record
     * that no longer fits) is never signalled.
     */
    public boolean isOwnQemu(Host host, String domain, long pid) {
        if (pid <= 0) {
            return false;
        }
        HostConnection connection = hosts.connection(host);
        QemuInstance q = QemuInstance.of(domain, host, pid);
        if (!connection.isLiveQemu(pid)) {
            return false;
        }
        Optional<java.util.List<String>> args = connection.commandLine(pid);
        if (args.isEmpty() || !launchedFor(args.get(), q)) {
            return false;
        }
        OptionalLong recorded = connection.readPid(q.pidFile());
        return recorded.isPresent() && recorded.getAsLong() == pid;
    }

    /** Whether that command line is nbdflow's launch of that domain's QEMU, with that pid file. */
    private static boolean launchedFor(java.util.List<String> args, QemuInstance q) {
        return argument(args, "-name", QemuLauncher.escape(q.domain())) && argument(args, "-pidfile", q.pidFile().toString());
    }

    private static boolean argument(java.util.List<String> args, String option, String value) {
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals(option) && args.get(i + 1).equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** The pid in the pid file on that host if that process is a live QEMU. */
    OptionalLong livePid(Host host, Path pidFile) {
        OptionalLong pid = hosts.connection(host).readPid(pidFile);
        return pid.isPresent() && isAlive(host, pid.getAsLong()) ? pid : OptionalLong.empty();
    }

    /** Whether the pid is a live QEMU on that host (see {@link HostConnection#isLiveQemu}). */
    public boolean isAlive(Host host, long pid) {
        return hosts.connection(host).isLiveQemu(pid);
    }

    /** {@link #isAlive} on this machine, for test harnesses; the application asks a host's connection. */
    public static boolean isLiveQemu(long pid) {
        return LocalHostConnection.isLiveLocalQemu(pid);
    }

    /**
     * Ends the QEMU: QMP quit, up to grace to exit, then SIGKILL; then forgets its monitor
     * connection and deletes its folder. Idempotent: a dead QEMU or a missing folder is fine.
     */
    public void stop(QemuInstance q, Duration grace) {
        HostConnection host = hosts.connection(q.host());
        if (isOwnQemu(q.host(), q.domain(), q.pid())) {
            quit(q, host);
            if (!waitForExit(host, q.pid(), grace)) {
                host.kill(q.pid());
                if (!waitForExit(host, q.pid(), KILL_WAIT)) {
                    throw new IllegalStateException("QEMU pid " + q.pid() + " of domain '" + q.domain()
                            + "' is still alive after SIGKILL");
                }
            }
        }
        monitors.forget(q);
        host.deleteTree(q.dir());
    }

    /** SIGKILL now and wait until the process is gone; leaves its folder as a crash would. */
    public void kill(QemuInstance q) {
        HostConnection host = hosts.connection(q.host());
        if (isOwnQemu(q.host(), q.domain(), q.pid())) {
            host.kill(q.pid());
            if (!waitForExit(host, q.pid(), KILL_WAIT)) {
                throw new IllegalStateException("QEMU pid " + q.pid() + " is still alive after SIGKILL");
            }
        }
    }

    private void quit(QemuInstance q, HostConnection host) {
        if (!host.exists(q.qmpSocket())) {
            host.terminate(q.pid()); // SIGTERM: QEMU shuts down cleanly
            return;
        }
        try {
            monitors.get(q).execute("quit", null, QUIT_TIMEOUT);
        } catch (QmpException e) {
            // QEMU may close the monitor before answering, or not answer at all: SIGKILL follows if needed
        }
    }

    /**
     * Waits until that QEMU (known to be ours) has exited and released its files: until then a
     * destination, a retried step or an operator's qemu-img would find its images locked.
     */
    private static boolean waitForExit(HostConnection host, long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!host.hasExited(pid)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return host.hasExited(pid);
            }
        }
        return true;
    }

    /**
     * The pid a pid file of this machine holds (empty if missing or not yet written), for test
     * harnesses; the application reads it through a host's connection.
     */
    public static OptionalLong readPid(Path pidFile) {
        return LocalHostConnection.readLocalPid(pidFile);
    }
}
