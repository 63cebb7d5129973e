package io.nbdflow.application;

import java.util.ArrayList;
import java.util.List;

/**
 * A migration's progress as lines of text: the phase, a bar per copied disk and one for the RAM.
 * The demo prints these lines and {@code GET /api/migrations/{id}/progress} serves them to the
 * launcher's {@code migrate} and {@code status}, so every view of a migration draws it alike.
 */
public final class ProgressText {
    private static final long MIB = 1L << 20;
    private static final int WIDTH = 30;

    private ProgressText() {
    }

    /** The block redrawn while the migration runs. */
    public static List<String> progress(MigrationView m) {
        List<String> lines = new ArrayList<>();
        lines.add("phase: " + m.phase());
        for (MigrationView.DiskProgress d : m.disks()) {
            lines.add(String.format("  %-4s %s %d / %d MiB%s", d.target(), bar(d.bytesCopied(), d.bytesTotal()),
                    d.bytesCopied() / MIB, d.bytesTotal() / MIB, d.ready() ? "  in sync" : ""));
        }
        MigrationView.RamProgress ram = m.ram();
        long sent = ram == null ? 0 : ram.transferred();
        long left = ram == null ? 0 : ram.remaining();
        lines.add(String.format("  RAM  %s %d MiB sent%s", bar(sent, sent + left), sent / MIB,
                ram == null ? "" : "  " + ram.status()));
        return lines;
    }

    /** What an ended migration came to: the outcome, then its figures or the reason. Empty while it runs. */
    public static List<String> result(MigrationView m) {
        if (m.outcome() == null) {
            return List.of();
        }
        return List.of("outcome: " + m.outcome(), m.migrated()
                ? "downtime: " + m.downtimeMs() + " ms, total: " + m.totalTimeMs() + " ms"
                : "reason: " + m.failureReason());
    }

    static String bar(long done, long total) {
        int filled = total <= 0 ? 0 : (int) Math.min(WIDTH, done * WIDTH / total);
        return "[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "]";
    }
}
