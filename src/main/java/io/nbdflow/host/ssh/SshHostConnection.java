package io.nbdflow.host.ssh;

import static io.nbdflow.host.ssh.ShellQuoting.quote;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;

import io.nbdflow.host.CommandResult;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.QemuLook;
import io.nbdflow.host.StorageException;

/**
 * A host that is another machine, reached over SSH. Each method is one short script run by the
 * host's shell over one exec channel of the host's one SSH connection, every value in it
 * single-quoted; the checks that guard deletions run on the host, where its symbolic links are.
 * Monitors are UNIX sockets of the host forwarded over the same connection, so nothing has to be
 * installed there besides QEMU, coreutils, findutils and a POSIX shell.
 */
public final class SshHostConnection implements HostConnection, AutoCloseable {

    /** How long one file or process operation may take before it counts as failed. */
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(60);
    /** How long past a program's own timeout we wait for the host to report that it killed it. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    /** Exit status of a script meaning "no" (nothing there, not alive, not found). */
    private static final int ABSENT = 3;
    /** Exit status of a deletion script refusing a path outside the host's folders. */
    private static final int REFUSED = 5;
    private static final int NOT_FOUND = 127;
    private static final String NOT_FOUND_MARK = "nbdflow: cannot run ";

    private final Host host;
    /** The connection for commands and files. */
    private final SshSession ssh;
    /**
     * Connections for monitors, each carrying a few: a monitor holds its channel as long as its
     * QEMU runs, so monitors never take the channels commands need, and many domains on one host
     * stay within sshd's MaxSessions of each connection.
     */
    private final List<SshSession> monitorConnections = new CopyOnWriteArrayList<>();
    private boolean closed;

    public SshHostConnection(Host host) {
        if (!host.isRemote()) {
            throw new IllegalArgumentException("host '" + host.name() + "' has no ssh settings");
        }
        this.host = host;
        this.ssh = new SshSession(host.name(), host.ssh());
    }

    @Override
    public Host host() {
        return host;
    }

    @Override
    public Optional<String> hostKeyFingerprint() {
        return ssh.fingerprint();
    }

    // --- programs

    @Override
    public CommandResult run(List<String> command, Duration timeout) {
        return run(command, null, timeout);
    }

    @Override
    public CommandResult run(List<String> command, String input, Duration timeout) {
        String script = requireProgram(command.get(0)) + bounded(command, timeout)
                + (input == null ? " </dev/null" : "");
        long start = System.nanoTime();
        SshSession.Outcome o = ssh.exec(script, input == null ? null : input.getBytes(StandardCharsets.UTF_8),
                timeout.plus(KILL_GRACE));
        if (o.timedOut() || killedByTimeout(o.exitCode(), start, timeout)) {
            throw new StorageException(String.join(" ", command) + " did not finish within " + timeout + " on "
                    + host.name());
        }
        failIfNotFound(o);
        return new CommandResult(o.exitCode(), o.stdoutText(), o.stderrText());
    }

    @Override
    public OptionalInt runDaemonizing(List<String> command, Path log, Duration timeout) {
        // the shell itself writes to the channel only if it cannot start the program: the
        // program's own output goes to the log, which the daemon keeps after the launcher exits
        String script = requireProgram(command.get(0)) + ": >>" + quote(log.toString()) + " || exit 1\n"
                + bounded(command, timeout) + " </dev/null >>" + quote(log.toString()) + " 2>&1";
        long start = System.nanoTime();
        SshSession.Outcome o = ssh.exec(script, null, timeout.plus(KILL_GRACE));
        if (o.timedOut() || killedByTimeout(o.exitCode(), start, timeout)) {
            return OptionalInt.empty();
        }
        failIfNotFound(o);
        if (o.exitCode() != 0 && !o.stderrText().isBlank()) {
            throw new StorageException("cannot run " + command.get(0) + " on " + host.name() + ": "
                    + o.stderrText().strip());
        }
        return OptionalInt.of(o.exitCode());
    }

    /** The program under {@code timeout}, which kills it on the host once its time is up. */
    private static String bounded(List<String> command, Duration timeout) {
        return "timeout --signal=KILL " + String.format(Locale.ROOT, "%.3f", timeout.toMillis() / 1000.0) + " "
                + ShellQuoting.join(command);
    }

    /** Ends the script with a recognisable message if the program is nowhere, as a local start would fail. */
    private static String requireProgram(String program) {
        return "c=" + quote(program) + "\n"
                + "case $c in */*) test -f \"$c\" && test -x \"$c\";; *) command -v \"$c\" >/dev/null 2>&1;; esac"
                + " || { printf '%s%s: no such program\\n' " + quote(NOT_FOUND_MARK) + " \"$c\" >&2; exit "
                + NOT_FOUND + "; }\n";
    }

    private void failIfNotFound(SshSession.Outcome o) {
        if (o.exitCode() == NOT_FOUND && o.stderrText().startsWith(NOT_FOUND_MARK)) {
            throw new StorageException(o.stderrText().substring("nbdflow: ".length()).strip() + " on "
                    + host.name());
        }
    }

    /** timeout reports the kill as 137, which the program could also return: the time tells them apart. */
    private static boolean killedByTimeout(int exitCode, long start, Duration timeout) {
        return (exitCode == 137 || exitCode == 124) && System.nanoTime() - start >= timeout.toNanos();
    }

    @Override
    public Optional<Path> findExecutable(String command) {
        if (command == null || command.isEmpty() || command.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        // ExecutableLookup's rules with the host's PATH: a name with '/' is a path, else each PATH
        // entry in order (an empty one meaning the working folder); regular executable files only
        String script = "c=" + quote(command) + "\n"
                + "x() { test -f \"$1\" && test -x \"$1\" || return 1; case $1 in /*) f=$1;; *) f=$PWD/$1;; esac;"
                + " printf '%s\\0' \"$f\"; exit 0; }\n"
                + "case $c in */*) x \"$c\"; exit " + ABSENT + ";; esac\n"
                + "test -n \"$PATH\" || exit " + ABSENT + "\n"
                + "p=$PATH:\n"
                + "while test -n \"$p\"; do d=${p%%:*}; p=${p#*:}; x \"${d:-.}/$c\"; done\n"
                + "exit " + ABSENT;
        SshSession.Outcome o = operation(script, "look up " + command);
        return o.exitCode() == 0 ? Optional.of(Path.of(nulTerminated(o)).normalize()) : Optional.empty();
    }

    // --- processes

    @Override
    public boolean isLiveQemu(long pid) {
        // the state follows the last ") " of /proc/PID/stat (the command name may hold either)
        String proc = quote("/proc/" + pid);
        String script = "s=$(cat " + proc + "/stat 2>/dev/null) || exit " + ABSENT + "\n"
                + "s=${s##*\") \"}\n"
                + "case $s in Z*|X*) exit " + ABSENT + ";; esac\n"
                + "grep -aq qemu " + proc + "/cmdline 2>/dev/null || exit " + ABSENT;
        return operation(script, "look at process " + pid).exitCode() == 0;
    }

    @Override
    public boolean hasExited(long pid) {
        String script = "s=$(cat " + quote("/proc/" + pid + "/stat") + " 2>/dev/null) || exit 0\n"
                + "s=${s##*\") \"}\n"
                + "case $s in Z*|X*) exit 0;; esac\n"
                + "exit " + ABSENT;
        return operation(script, "look whether process " + pid + " has exited").exitCode() == 0;
    }

    @Override
    public Optional<List<String>> commandLine(long pid) {
        SshSession.Outcome o = operation("cat " + quote("/proc/" + pid + "/cmdline") + " 2>/dev/null || exit "
                + ABSENT, "read the command line of process " + pid);
        if (o.exitCode() != 0) {
            return Optional.empty();
        }
        String text = o.stdoutText();
        if (text.endsWith("\0")) {
            text = text.substring(0, text.length() - 1);
        }
        return Optional.of(List.of(text.split("\0", -1)));
    }

    @Override
    public Optional<QemuLook> lookAtQemu(Path pidFile, Path socket) {
        // isLiveQemu's checks, then: the pid, whether the socket exists, the command line (NULs last)
        String script = "p=$(cat -- " + quote(pidFile.toString()) + " 2>/dev/null) || exit " + ABSENT + "\n"
                + "case $p in ''|*[!0-9]*) exit " + ABSENT + ";; esac\n"
                + "s=$(cat /proc/$p/stat 2>/dev/null) || exit " + ABSENT + "\n"
                + "s=${s##*\") \"}\n"
                + "case $s in Z*|X*) exit " + ABSENT + ";; esac\n"
                + "grep -aq qemu /proc/$p/cmdline 2>/dev/null || exit " + ABSENT + "\n"
                + "echo $p\n"
                + "if test -e " + quote(socket.toString()) + "; then echo 1; else echo 0; fi\n"
                + "cat /proc/$p/cmdline 2>/dev/null || exit " + ABSENT;
        SshSession.Outcome o = operation(script, "look at the QEMU of " + pidFile);
        if (o.exitCode() == ABSENT) {
            return Optional.empty();
        }
        requireSuccess(o, "look at the QEMU of " + pidFile);
        String[] parts = o.stdoutText().split("\n", 3);
        if (parts.length < 3) {
            throw new StorageException("cannot look at the QEMU of " + pidFile + " on " + host.name()
                    + ": unexpected answer");
        }
        String args = parts[2].endsWith("\0") ? parts[2].substring(0, parts[2].length() - 1) : parts[2];
        return Optional.of(new QemuLook(Long.parseLong(parts[0].trim()), List.of(args.split("\0", -1)),
                parts[1].trim().equals("1")));
    }

    @Override
    public void terminate(long pid) {
        operation("kill -TERM " + pid + " 2>/dev/null; exit 0", "terminate process " + pid);
    }

    @Override
    public void kill(long pid) {
        operation("kill -KILL " + pid + " 2>/dev/null; exit 0", "kill process " + pid);
    }

    // --- files and folders

    @Override
    public boolean exists(Path path) {
        String p = quote(path.toString());
        return operation("test -e " + p + " || test -L " + p, "look at " + path).exitCode() == 0;
    }

    @Override
    public boolean isRegularFile(Path path) {
        return operation("test -f " + quote(path.toString()), "look at " + path).exitCode() == 0;
    }

    @Override
    public Optional<Path> realPath(Path path) {
        String p = quote(path.toString());
        SshSession.Outcome o = operation("test -e " + p + " || exit " + ABSENT + "\nrealpath -ez -- " + p,
                "resolve " + path);
        if (o.exitCode() == ABSENT) {
            return Optional.empty();
        }
        requireSuccess(o, "resolve " + path);
        return Optional.of(Path.of(nulTerminated(o)));
    }

    @Override
    public void createDirectories(Path dir) {
        requireSuccess(operation("mkdir -p -- " + quote(dir.toString()), "create " + dir), "create " + dir);
    }

    @Override
    public void createNewFile(Path file) throws FileAlreadyExistsException {
        // noclobber makes the shell create the file with O_EXCL: atomic, whoever else creates it
        String f = quote(file.toString());
        String there = "{ test -e " + f + " || test -L " + f + "; }";
        SshSession.Outcome o = operation(there + " && exit " + ABSENT + "\n"
                + "set -C\n"
                + "printf '' >" + f + " || { " + there + " && exit " + ABSENT + "; exit 1; }", "create " + file);
        if (o.exitCode() == ABSENT) {
            throw new FileAlreadyExistsException(file.toString());
        }
        requireSuccess(o, "create " + file);
    }

    @Override
    public boolean deleteIfExists(Path file) {
        String f = quote(file.toString());
        SshSession.Outcome o = operation("test -e " + f + " || test -L " + f + " || exit " + ABSENT + "\n"
                + "if test -d " + f + " && ! test -L " + f + "; then rmdir -- " + f + "; else rm -f -- " + f + "; fi",
                "delete " + file);
        if (o.exitCode() == ABSENT) {
            return false;
        }
        requireSuccess(o, "delete " + file);
        return true;
    }

    @Override
    public boolean deleteFileBelowHostFolders(Path file) {
        Path target = file.normalize();
        if (target.getParent() == null || target.getFileName() == null) {
            throw refusal(file);
        }
        // a symbolic link among the parents would lead elsewhere: the host resolves them before
        // the file is compared with its folders, and deletes it only then
        String f = "\"${R%/}\"/" + quote(target.getFileName().toString());
        SshSession.Outcome o = operation(confinement() + "below " + quote(target.toString()) + " || exit " + REFUSED
                + "\nrp -e -- " + quote(target.getParent().toString()) + " || exit " + ABSENT + "\n"
                + "below " + f + " || exit " + REFUSED + "\n"
                + "test -e " + f + " || test -L " + f + " || exit " + ABSENT + "\n"
                + "if test -d " + f + " && ! test -L " + f + "; then rmdir -- " + f + "; else rm -f -- " + f + "; fi",
                "delete " + file);
        if (o.exitCode() == REFUSED) {
            throw refusal(file);
        }
        if (o.exitCode() == ABSENT) {
            return false;
        }
        requireSuccess(o, "delete " + file);
        return true;
    }

    @Override
    public void deleteTree(Path dir) {
        Path target = dir.normalize();
        if (target.getParent() == null || target.getFileName() == null) {
            throw refusal(target);
        }
        // rm -r never follows a symbolic link inside the tree: it removes the link itself
        String t = quote(target.toString());
        String f = "\"${R%/}\"/" + quote(target.getFileName().toString());
        SshSession.Outcome o = operation(confinement() + "below " + t + " || exit " + REFUSED + "\n"
                + "test -e " + t + " || test -L " + t + " || exit 0\n"
                + "rp -e -- " + quote(target.getParent().toString()) + " || exit 0\n"
                + "below " + f + " || exit " + REFUSED + "\n"
                + "rm -rf -- " + f, "delete " + dir);
        if (o.exitCode() == REFUSED) {
            throw refusal(target);
        }
        requireSuccess(o, "delete " + dir);
    }

    /**
     * Shell functions for the deletions: {@code rp} resolves a path on the host into R (keeping
     * a trailing newline of a name, which $(...) alone would drop), {@code below} tells whether a
     * path lies strictly below the state-dir or storage-dir, as configured or resolved.
     */
    private String confinement() {
        String state = quote(host.stateDir().normalize().toString());
        String storage = quote(host.storageDir().normalize().toString());
        return "rp() { R=$(realpath \"$@\" && echo .) || return 1; R=${R%.}; R=${R%?}; }\n"
                + "rp -m -- " + state + " || exit 1; S=$R\n"
                + "rp -m -- " + storage + " || exit 1; G=$R\n"
                + "below() { case $1 in \"$S\"/?*|\"$G\"/?*|" + state + "/?*|" + storage + "/?*) return 0;; esac;"
                + " return 1; }\n";
    }

    private IllegalArgumentException refusal(Path asGiven) {
        return new IllegalArgumentException("refusing to delete " + asGiven + " on " + host.name()
                + ": not below its state-dir " + host.stateDir() + " or storage-dir " + host.storageDir());
    }

    @Override
    public List<String> list(Path dir) {
        String d = quote(dir.toString());
        SshSession.Outcome o = operation("test -e " + d + " || exit " + ABSENT + "\n"
                + "test -d " + d + " || { printf 'not a folder\\n' >&2; exit 1; }\n"
                + "find " + quote(folderOperand(dir)) + " -mindepth 1 -maxdepth 1 -printf '%f\\0'", "list " + dir);
        if (o.exitCode() == ABSENT) {
            return List.of();
        }
        requireSuccess(o, "list " + dir);
        String names = o.stdoutText();
        if (names.isEmpty()) {
            return List.of();
        }
        return Arrays.stream(names.substring(0, names.length() - 1).split("\0", -1)).sorted().toList();
    }

    /** The folder as find's starting point: a trailing '/' follows a link to it, a relative one cannot look like an option. */
    private static String folderOperand(Path dir) {
        String d = dir.toString();
        return (d.startsWith("/") ? d : "./" + d) + "/";
    }

    @Override
    public Optional<String> readString(Path file) {
        String f = quote(file.toString());
        SshSession.Outcome o = operation("test -e " + f + " || exit " + ABSENT + "\ncat -- " + f, "read " + file);
        if (o.exitCode() == ABSENT) {
            return Optional.empty();
        }
        requireSuccess(o, "read " + file);
        return Optional.of(o.stdoutText());
    }

    @Override
    public void writeString(Path file, String text) {
        SshSession.Outcome o = ssh.exec("cat >" + quote(file.toString()), text.getBytes(StandardCharsets.UTF_8),
                OPERATION_TIMEOUT);
        requireSuccess(o, "write " + file);
    }

    @Override
    public void append(Path file, String text) {
        String f = quote(file.toString());
        // sync with a file operand fsyncs that file
        SshSession.Outcome o = ssh.exec("cat >>" + f + " && sync -- " + f, text.getBytes(StandardCharsets.UTF_8),
                OPERATION_TIMEOUT);
        requireSuccess(o, "write " + file);
    }

    @Override
    public long usableSpace(Path dir) {
        // blocks available to an unprivileged user times the fundamental block size, as statvfs gives them
        SshSession.Outcome o = operation("stat -f -c '%a %S' -- " + quote(dir.toString()),
                "measure the free space of " + dir);
        requireSuccess(o, "measure the free space of " + dir);
        String[] fields = o.stdoutText().trim().split(" ");
        try {
            return Long.parseLong(fields[0]) * Long.parseLong(fields[1]);
        } catch (RuntimeException e) {
            throw new StorageException("cannot measure the free space of " + dir + " on " + host.name()
                    + ": unexpected answer '" + o.stdoutText().trim() + "'", e);
        }
    }

    // --- monitors

    @Override
    public ByteChannel openMonitor(Path socket) throws IOException {
        return monitorConnection().openStreamLocal(socket);
    }

    /** How many commands (exec channels) this connection has run on the host. */
    long commandsRun() {
        return ssh.commandsRun();
    }

    /** A monitor connection with a place taken for one more monitor, a new one if all are full. */
    private SshSession monitorConnection() throws IOException {
        for (SshSession s : monitorConnections) {
            if (s.reserveMonitor()) {
                return s;
            }
        }
        synchronized (this) {
            if (closed) {
                throw new IOException("the connection to " + ssh.describe() + " is closed");
            }
            SshSession s = new SshSession(host.name(), host.ssh());
            s.reserveMonitor();
            monitorConnections.add(s);
            return s;
        }
    }

    /** Closes the SSH connections, monitors included; QEMUs on the host keep running. */
    @Override
    public synchronized void close() {
        closed = true;
        ssh.close();
        monitorConnections.forEach(SshSession::close);
    }

    private SshSession.Outcome operation(String script, String what) {
        // no standard input: nothing in these scripts may wait for one
        SshSession.Outcome o = ssh.exec("exec </dev/null\n" + script, null, OPERATION_TIMEOUT);
        if (o.timedOut()) {
            // these scripts end at once on a host that answers
            throw new HostUnreachableException("cannot " + what + " on " + host.name() + ": no answer within "
                    + OPERATION_TIMEOUT, null);
        }
        return o;
    }

    private void requireSuccess(SshSession.Outcome o, String what) {
        if (o.timedOut()) {
            throw new StorageException("cannot " + what + " on " + host.name() + ": no answer within "
                    + OPERATION_TIMEOUT);
        }
        if (o.exitCode() != 0) {
            throw new StorageException("cannot " + what + " on " + host.name() + ": "
                    + (o.stderrText().isBlank() ? "exit status " + o.exitCode() : o.stderrText().strip()));
        }
    }

    private static String nulTerminated(SshSession.Outcome o) {
        String text = o.stdoutText();
        return text.endsWith("\0") ? text.substring(0, text.length() - 1) : text;
    }

    @Override
    public String toString() {
        return "remote host " + host.name() + " (" + ssh.describe() + ")";
    }
}
