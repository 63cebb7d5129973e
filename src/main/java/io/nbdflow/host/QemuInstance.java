package io.nbdflow.host;

import java.nio.file.Path;

/**
 * A QEMU process serving a domain on a host. dir holds qmp.sock (this application's monitor,
 * shared through {@link Monitors}), qmp-tools.sock (a second monitor left free for
 * operators and tools), qemu.pid, qemu.log and console.log (what the guest wrote to its serial port).
 */
public record QemuInstance(String domain, Host host, long pid, Path dir, Path qmpSocket, Path toolsSocket) {

    public static final String QMP_SOCKET = "qmp.sock";
    public static final String TOOLS_SOCKET = "qmp-tools.sock";
    public static final String PID_FILE = "qemu.pid";
    public static final String LOG_FILE = "qemu.log";
    public static final String CONSOLE_FILE = "console.log";

    /** The instance whose files live in host.stateDir/domain. */
    public static QemuInstance of(String domain, Host host, long pid) {
        Path dir = host.domainDir(domain);
        return new QemuInstance(domain, host, pid, dir, dir.resolve(QMP_SOCKET), dir.resolve(TOOLS_SOCKET));
    }

    public Path pidFile() {
        return dir.resolve(PID_FILE);
    }

    public Path logFile() {
        return dir.resolve(LOG_FILE);
    }

    /** The guest's serial console, appended to by QEMU (and kept across a migration, see the README). */
    public Path consoleFile() {
        return dir.resolve(CONSOLE_FILE);
    }
}
