package io.nbdflow.host;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything nbdflow does on a host, for one host: its programs, its processes, its files and
 * its QEMU monitors. Paths are paths on that host. Commands are argument lists, never a line for
 * a shell. Layers above this one reach a host only through it, so a host that is another machine
 * needs another implementation of this interface and nothing else.
 */
public interface HostConnection {

    /** The host this connection reaches. */
    Host host();

    /** Runs a program to its end; a program still running after {@code timeout} is killed (StorageException). */
    CommandResult run(List<String> command, Duration timeout);

    /** Whether something exists at that path (a symbolic link counts as itself, not its target). */
    boolean exists(Path path);

    /** Whether a regular file exists at that path (following links). */
    boolean isRegularFile(Path path);

    /** Creates the folder and its parents; nothing if it exists. */
    void createDirectories(Path dir);

    /** Creates an empty file, atomically failing if anything exists there already. */
    void createNewFile(Path file) throws FileAlreadyExistsException;

    /** Deletes the file; false if there was none. */
    boolean deleteIfExists(Path file);

    /** The file's text, or empty if there is no such file. */
    Optional<String> readString(Path file);

    /** Appends text to the file, creating it if needed, and forces it to stable storage. */
    void append(Path file, String text);
}
