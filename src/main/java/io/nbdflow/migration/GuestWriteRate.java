package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.DiskNames;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * How fast the guest writes to one disk right now: the growth of that disk's {@code wr_bytes} in
 * {@code query-blockstats} between two reads a short window apart. QEMU counts there what the
 * guest's device writes, not what block jobs copy, so another disk's running mirror does not count.
 */
public final class GuestWriteRate {

    private GuestWriteRate() {
    }

    /** The guest's writes to that disk over the window, in bytes per second; empty if QEMU lists no such disk. */
    public static OptionalLong bytesPerSecond(QmpClient qmp, String target, Duration window)
            throws QmpException, InterruptedException {
        OptionalLong before = writtenBytes(qmp.execute("query-blockstats"), target);
        long start = System.nanoTime();
        if (before.isEmpty()) {
            return OptionalLong.empty();
        }
        Thread.sleep(window.toMillis());
        OptionalLong after = writtenBytes(qmp.execute("query-blockstats"), target);
        long elapsedNanos = Math.max(1, System.nanoTime() - start);
        if (after.isEmpty()) {
            return OptionalLong.empty();
        }
        long written = Math.max(0, after.getAsLong() - before.getAsLong());
        return OptionalLong.of((long) (written * 1e9 / elapsedNanos));
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
