package io.nbdflow.migration;

import io.nbdflow.host.FileTail;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.QemuInstance;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Carries a domain's serial console (console.log) from the source host to the destination, so that
 * the destination's console continues the source's. Two moments, both outside the guest's downtime:
 * <ol>
 * <li>before the destination QEMU starts, the source console's last {@value #MAX_COPY} bytes become
 * the destination's console.log, which that QEMU then appends to (it prints nothing until it is
 * resumed);</li>
 * <li>after the switchover, before the source QEMU is stopped (its folder is removed with it), what
 * the source printed since that copy is appended to the destination's console.log under one marking
 * line. The source has been paused since the switchover, so that is all it printed; the
 * destination has been running since and its first lines come before that block.</li>
 * </ol>
 * Doing the second part inside the downtime (while both are paused) would keep the order exact, but
 * would lengthen the pause of the guest by a host round trip and a file copy. The copies are capped:
 * a huge console does not slow a migration down.
 */
public final class ConsoleHandover {

    /** At most this much of the source's console is copied, each time. */
    public static final long MAX_COPY = 1024 * 1024;

    private ConsoleHandover() {
    }

    /**
     * Makes the destination's console.log the end of the source's (an empty file if the source has
     * none, a line saying so if the source's console could not be read). Returns how far into the
     * source's console the copy reached, where {@link #sourceOutputSince} goes on.
     */
    public static long seed(HostConnection source, HostConnection destination, String domain) {
        Path to = consoleFile(destination, domain);
        destination.createDirectories(to.getParent());
        Optional<FileTail> tail;
        try {
            tail = source.readTail(consoleFile(source, domain), MAX_COPY);
        } catch (RuntimeException e) {
            // the console is no reason to refuse a migration: the whole tail follows after the switchover
            destination.writeString(to, "--- the console of " + source.host().name()
                    + " could not be copied before the migration: " + e.getMessage() + " ---\n");
            return 0;
        }
        String text = tail.map(t -> (t.complete() ? "" : "--- earlier output left out ---\n") + t.text())
                .orElse("");
        destination.writeString(to, text);
        return tail.map(FileTail::size).orElse(0L);
    }

    /**
     * What the source's console holds past {@code copiedUpTo} (its last {@value #MAX_COPY} bytes at
     * most), as the block to append to the destination's console: empty if nothing.
     */
    public static Optional<String> sourceOutputSince(HostConnection source, String domain, long copiedUpTo) {
        Optional<FileTail> rest = source.readTail(consoleFile(source, domain), MAX_COPY)
                .map(t -> t.since(copiedUpTo)).filter(t -> t.bytes().length > 0);
        if (rest.isEmpty()) {
            return Optional.empty();
        }
        long skipped = rest.get().size() - rest.get().bytes().length - copiedUpTo;
        String text = rest.get().text();
        return Optional.of("\n--- printed on " + source.host().name()
                + " after this console was copied here, until the switchover"
                + (skipped > 0 ? " (its first " + skipped + " bytes left out)" : "") + " ---\n"
                + text + (text.endsWith("\n") ? "" : "\n"));
    }

    /** Appends that block to the destination's console.log. */
    public static void appendToDestination(HostConnection destination, String domain, String block) {
        destination.append(consoleFile(destination, domain), block);
    }

    private static Path consoleFile(HostConnection host, String domain) {
        return QemuInstance.of(domain, host.host(), 0).consoleFile();
    }
}
