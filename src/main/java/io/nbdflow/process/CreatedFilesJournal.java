package io.nbdflow.process;

import io.nbdflow.host.Host;
import io.nbdflow.host.StorageException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The files "Pre-create disks" has created, written to the destination host's state-dir as each
 * one is created, before the step's transaction commits. If the application dies after creating
 * a file but before the commit, the process variable listing it is lost and the step runs again:
 * the journal then tells which of the existing files are this migration's own (and may be
 * removed) and which are somebody else's (never touched). Removed once the step's commit is
 * durable, or by its undo. One file per migration: {@code <state-dir>/.nbdflow-created/<migration id>}.
 */
public final class CreatedFilesJournal {
    private final Path file;

    public CreatedFilesJournal(Host host, String migrationId) {
        this.file = host.stateDir().resolve(".nbdflow-created").resolve(migrationId);
    }

    /** Appends the file and forces it to disk: it must outlive a crash that follows at once. */
    public void add(Path created) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, (created + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
        } catch (IOException e) {
            throw new StorageException("cannot record " + created + " in " + file + ": " + e, e);
        }
    }

    /** What an earlier attempt of this migration created; empty if none was recorded. */
    public List<Path> files() {
        try {
            return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(Path::of).toList()
                    : List.of();
        } catch (IOException e) {
            throw new StorageException("cannot read " + file + ": " + e, e);
        }
    }

    public void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new StorageException("cannot delete " + file + ": " + e, e);
        }
    }
}
