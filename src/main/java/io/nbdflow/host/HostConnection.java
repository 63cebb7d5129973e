package io.nbdflow.host;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Everything nbdflow does on a host, for one host: its programs, its processes, its files and
 * its QEMU monitors. Paths are paths on that host. Commands are argument lists, never a line for
 * a shell. Layers above this one reach a host only through it, so a host that is another machine
 * needs another implementation of this interface and nothing else. A failure to reach or use the
 * host is a {@link StorageException} unless a method says otherwise.
 */
public interface HostConnection {

    /** The host this connection reaches. */
    Host host();

    /**
     * The fingerprint (e.g. {@code SHA256:...}) of the host key this connection verified, for a
     * host reached over SSH; empty for this machine.
     */
    default Optional<String> hostKeyFingerprint() {
        return Optional.empty();
    }

    // --- programs

    /** Runs a program to its end; a program still running after {@code timeout} is killed (StorageException). */
    CommandResult run(List<String> command, Duration timeout);

    /** {@link #run(List, Duration)} with that text (UTF-8) as the program's standard input. */
    CommandResult run(List<String> command, String input, Duration timeout);

    /**
     * Runs a program that daemonizes itself (QEMU with {@code -daemonize}) and waits until the
     * program it started returns. Its standard input is empty; its output and errors are appended
     * to {@code log} on the host (a file, not a pipe: the daemon keeps the descriptors while it
     * starts). Returns that program's exit status, or empty if it did not return within
     * {@code timeout} (it is then killed; the daemon it may have forked is not).
     */
    OptionalInt runDaemonizing(List<String> command, Path log, Duration timeout);

    /** Where the host would find that program ({@link ExecutableLookup}'s rules); empty if nowhere. */
    Optional<Path> findExecutable(String command);

    // --- processes

    /**
     * Whether the pid is a live QEMU: the process exists, is neither a zombie nor dead, and its
     * command line names qemu. A daemonized QEMU that exited stays a zombie until it is reaped,
     * and signalling a zombie succeeds: existence alone does not tell.
     */
    boolean isLiveQemu(long pid);

    /**
     * Whether that process has ended and let go of everything it held: gone, or a zombie. A QEMU
     * that is exiting drops its memory, and with it its command line, before it closes its files:
     * for that while it is no longer {@link #isLiveQemu live} but still holds its images' locks.
     */
    boolean hasExited(long pid);

    /** The arguments of that process (argv[0] first); empty if there is no such process. */
    Optional<List<String>> commandLine(long pid);

    /** SIGTERM to that process, if it exists. */
    void terminate(long pid);

    /** SIGKILL to that process, if it exists. */
    void kill(long pid);

    /** The pid a pid file holds; empty if the file is missing or not (yet) a number. */
    default OptionalLong readPid(Path pidFile) {
        Optional<String> text = readString(pidFile).map(String::trim);
        if (text.isEmpty() || text.get().isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text.get()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * The live QEMU that pid file names, its command line, and whether that socket exists, in one
     * look at the host (over SSH one command instead of five: it is asked before most steps, and
     * in the switchover while the guest is paused); empty if the file holds no pid or the pid is
     * no live QEMU ({@link #isLiveQemu}).
     */
    default Optional<QemuLook> lookAtQemu(Path pidFile, Path socket) {
        OptionalLong pid = readPid(pidFile);
        if (pid.isEmpty() || !isLiveQemu(pid.getAsLong())) {
            return Optional.empty();
        }
        return commandLine(pid.getAsLong()).map(args -> new QemuLook(pid.getAsLong(), args, exists(socket)));
    }

    // --- files and folders

    /** Whether something exists at that path (a symbolic link counts as itself, not its target). */
    boolean exists(Path path);

    /** Whether a regular file exists at that path (following links). */
    boolean isRegularFile(Path path);

    /** The path with every symbolic link resolved and no "." or ".."; empty if nothing exists there. */
    Optional<Path> realPath(Path path);

    /** Creates the folder and its parents; nothing if it exists. */
    void createDirectories(Path dir);

    /** Creates an empty file, atomically failing if anything exists there already. */
    void createNewFile(Path file) throws FileAlreadyExistsException;

    /** Deletes the file; false if there was none. */
    boolean deleteIfExists(Path file);

    /**
     * {@link #deleteIfExists} for a file nbdflow derived from its records: refused
     * (IllegalArgumentException, nothing deleted) unless the file lies below the host's state-dir
     * or storage-dir, also once symbolic links among its parents are resolved.
     */
    boolean deleteFileBelowHostFolders(Path file);

    /**
     * Deletes the folder with everything in it; nothing if it does not exist. Refused
     * (IllegalArgumentException, nothing deleted) unless the folder lies below the host's
     * state-dir or storage-dir (never one of those two itself), so that no mistake in a path can
     * reach anything else of the host.
     */
    void deleteTree(Path dir);

    /** The names of the entries of that folder; empty if it does not exist. */
    List<String> list(Path dir);

    /** The file's text, or empty if there is no such file. */
    Optional<String> readString(Path file);

    /**
     * The last {@code maxBytes} bytes of the file (all of it if shorter) and its length, without
     * reading the rest; empty if there is no such file. Any bytes: a console log holds whatever
     * the guest printed. This default runs {@code stat} and {@code od} (coreutils) on the host, so
     * a connection that can run programs has it; one that reads files directly does better.
     */
    default Optional<FileTail> readTail(Path file, long maxBytes) {
        return FileTails.throughCommands(this, file, maxBytes);
    }

    /** Replaces the file's content with that text, creating it if needed. */
    void writeString(Path file, String text);

    /** Appends text to the file, creating it if needed, and forces it to stable storage. */
    void append(Path file, String text);

    /** Bytes that may still be written in that folder's file system. */
    long usableSpace(Path dir);

    // --- monitors

    /**
     * Opens a byte stream to the QEMU monitor listening on that UNIX socket of the host; IOException
     * while nobody listens there (yet). Closing the channel ends a read blocked on it.
     */
    ByteChannel openMonitor(Path socket) throws IOException;
}
