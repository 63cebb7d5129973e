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

    /**
     * The block redrawn while the migration runs: the phase, the time left (while it runs, "unknown"
     * parts included, so the block keeps its height), a bar per disk with its rate while it copies,
     * and the RAM's bar with its rate while it is sent.
     */
    public static List<String> progress(MigrationView m) {
        List<String> lines = new ArrayList<>();
        lines.add("phase: " + m.phase());
        if (!m.ended()) {
            lines.add("time left: " + duration(m.phaseEtaSeconds()) + " in this phase, " + duration(m.etaSeconds())
                    + " in all");
        }
        for (MigrationView.DiskProgress d : m.disks()) {
            lines.add(String.format("  %-4s %s %d / %d MiB%s", d.target(), bar(d.bytesCopied(), d.bytesTotal()),
                    d.bytesCopied() / MIB, d.bytesTotal() / MIB,
                    d.ready() ? "  in sync" : rate(d.bytesPerSecond())));
        }
        MigrationView.RamProgress ram = m.ram();
        long sent = ram == null ? 0 : ram.transferred();
        long left = ram == null ? 0 : ram.remaining();
        lines.add(String.format("  RAM  %s %d MiB sent%s", bar(sent, sent + left), sent / MIB,
                ram == null ? "" : "  " + ram.status()
                        + (ram.status().equals("active") ? rate(ram.bytesPerSecond()) : "")));
        return lines;
    }

    /** "  8.0 MiB/s", or nothing while no rate is known. */
    static String rate(Long bytesPerSecond) {
        return bytesPerSecond == null ? "" : String.format(java.util.Locale.ROOT, "  %.1f MiB/s",
                bytesPerSecond / (double) MIB);
    }

    /** "unknown", "45 s", "3 min 20 s", "2 h 05 min". */
    static String duration(Long seconds) {
        if (seconds == null) {
            return "unknown";
        }
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return seconds / 60 + " min " + seconds % 60 + " s";
        }
        return String.format("%d h %02d min", seconds / 3600, seconds % 3600 / 60);
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
