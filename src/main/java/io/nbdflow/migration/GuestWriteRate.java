package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.DiskNames;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How fast the guest writes to one disk right now: the growth of that disk's {@code wr_bytes} in
 * {@code query-blockstats} between two reads. QEMU counts there what the guest's device writes, not
 * what block jobs copy, so another disk's running mirror does not count. The first read may be a
 * {@link Snapshot} taken a few seconds earlier (when the migration inspected the source), so that
 * measuring adds no wait; without a usable one, the two reads are a short window apart.
 */
public final class GuestWriteRate {
    /** An earlier read closer than this gives too short a window to tell a burst from a rate. */
    static final Duration SHORTEST_WINDOW = Duration.ofMillis(500);
    /** An earlier read further back no longer says how the guest writes now. */
    static final Duration LONGEST_WINDOW = Duration.ofSeconds(60);

    /**
     * The bytes written so far to each disk, and when (wall-clock milliseconds: another node of the
     * engine may take the second read).
     */
    public record Snapshot(long atMillis, Map<String, Long> writtenBytes) {
        public Snapshot {
            writtenBytes = Map.copyOf(writtenBytes);
        }
    }

    private GuestWriteRate() {
    }

    /** Reads the bytes written so far to those disks (those QEMU lists). */
    public static Snapshot snapshot(QmpClient qmp, Collection<String> targets) throws QmpException {
        JsonNode stats = qmp.execute("query-blockstats");
        long at = System.currentTimeMillis();
        Map<String, Long> written = new LinkedHashMap<>();
        for (String target : targets) {
            writtenBytes(stats, target).ifPresent(bytes -> written.put(target, bytes));
        }
        return new Snapshot(at, written);
    }

    /**
     * The guest's writes to that disk, in bytes per second: since the earlier snapshot if it has the
     * disk and lies between {@link #SHORTEST_WINDOW} and {@link #LONGEST_WINDOW} back, else over a
     * fresh window of that length; empty if QEMU lists no such disk.
     */
    public static OptionalLong bytesPerSecond(QmpClient qmp, String target, Optional<Snapshot> earlier,
                                              Duration window) throws QmpException, InterruptedException {
        Snapshot before = earlier.filter(s -> s.writtenBytes().containsKey(target)).orElse(null);
        long age = before == null ? -1 : System.currentTimeMillis() - before.atMillis();
        if (age < SHORTEST_WINDOW.toMillis() || age > LONGEST_WINDOW.toMillis()) {
            before = snapshot(qmp, List.of(target));
            if (!before.writtenBytes().containsKey(target)) {
                return OptionalLong.empty();
            }
            Thread.sleep(window.toMillis());
        }
        Snapshot after = snapshot(qmp, List.of(target));
        if (!after.writtenBytes().containsKey(target)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(rate(before, after, target));
    }

    /** Bytes per second written to that disk between two snapshots that both have it. */
    static long rate(Snapshot before, Snapshot after, String target) {
        long written = Math.max(0, after.writtenBytes().get(target) - before.writtenBytes().get(target));
        long millis = Math.max(1, after.atMillis() - before.atMillis());
        return written * 1000 / millis;
    }

    /**
     * The bytes written so far to that disk, from a {@code query-blockstats} answer: the entry of its
     * {@code -drive} backend (device) or of its top {@code -blockdev} node (node-name).
     */
    static OptionalLong writtenBytes(JsonNode blockstats, String target) {
        String name = DiskNames.nodeName(target);
        for (JsonNode entry : blockstats) {
            if (name.equals(entry.path("device").asText()) || name.equals(entry.path("node-name").asText())) {
                JsonNode written = entry.path("stats").path("wr_bytes");
                if (written.canConvertToLong()) {
                    return OptionalLong.of(written.asLong());
                }
            }
        }
        return OptionalLong.empty();
    }
}
