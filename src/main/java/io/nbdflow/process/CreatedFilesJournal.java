package io.nbdflow.process;

import io.nbdflow.host.HostConnection;

import java.nio.file.Path;
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

    /** Appends the file and forces it to disk: it must outlive a crash that follows at once. */
    public void add(Path created) {
        host.createDirectories(file.getParent());
        host.append(file, created + "\n");
    }

    /** What an earlier attempt of this migration created; empty if none was recorded. */
    public List<Path> files() {
        return host.readString(file).stream().flatMap(String::lines).filter(l -> !l.isBlank()).map(Path::of)
                .toList();
    }

    public void delete() {
        host.deleteIfExists(file);
    }
}
