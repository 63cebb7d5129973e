package io.nbdflow.process;

import io.nbdflow.host.HostConnection;
import io.nbdflow.host.StorageException;

import java.nio.file.Path;
import java.util.List;

/**
 * The files "Pre-create disks" has created, written to the destination host's state-dir as each
 * one is created, before the step's transaction commits. If the application dies after creating
 * a file but before the commit, the process variable listing it is lost and the step runs again:
 * the journal then tells which of the existing files are this migration's own (and may be
 * removed) and which are somebody else's (never touched). Removed once the step's commit is
 * durable, or by its undo. One file per migration: {@code <state-dir>/.nbdflow-created/<migration id>};
 * the folder goes with the last journal in it.
 */
public final class CreatedFilesJournal {
    private final HostConnection host;
    private final Path file;

    public CreatedFilesJournal(HostConnection host, String migrationId) {
        this.host = host;
        this.file = folder(host).resolve(migrationId);
    }

    private static Path folder(HostConnection host) {
        return host.host().stateDir().resolve(".nbdflow-created");
    }

    /** The migrations that have a journal on that host. */
    public static List<String> migrations(HostConnection host) {
        return host.list(folder(host));
    }

    /**
     * Appends the file and forces it to disk: it must outlive a crash that follows at once. The
     * folder may vanish between its creation and the write (another migration's {@link #delete}
     * removed it as empty): then it is created again.
     */
    public void add(Path created) {
        host.createDirectories(file.getParent());
        try {
            host.append(file, created + "\n");
        } catch (StorageException e) {
            host.createDirectories(file.getParent());
            host.append(file, created + "\n");
        }
    }

    /** What an earlier attempt of this migration created; empty if none was recorded. */
    public List<Path> files() {
        return host.readString(file).stream().flatMap(String::lines).filter(l -> !l.isBlank()).map(Path::of)
                .toList();
    }

    /** Removes the journal, and its folder once no migration has a journal there any more. */
    public void delete() {
        host.deleteIfExists(file);
        try {
            host.deleteIfExists(file.getParent());
        } catch (StorageException e) {
            // not empty: another migration's journal is there, and that migration removes the folder
        }
    }
}
