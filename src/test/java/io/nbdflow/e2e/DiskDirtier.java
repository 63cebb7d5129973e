package io.nbdflow.e2e;

import io.nbdflow.qmp.QmpClient;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A guest that keeps dirtying its disk vda at a steady rate, from a thread of the test: every
 * {@link #PERIOD}, {@link #CHUNK} bytes of {@link #PATTERN} written to the next chunk of the area
 * [{@link #AREA_OFFSET}, +{@link #AREA_LENGTH}), round and round (8 MiB/s). The writes go through the
 * guest's device as its own would (HMP qemu-io {@code aio_write}, then {@code aio_flush}): through
 * a mirror's filter, and counted in {@code query-blockstats} like the guest's I/O (plain
 * {@code write} is not counted there).
 */
final class DiskDirtier implements AutoCloseable {
    static final int PATTERN = 0x3c;
    static final long CHUNK = 2L << 20;
    static final long AREA_OFFSET = 8L << 20;
    static final long AREA_LENGTH = 8L << 20;
    static final Duration PERIOD = Duration.ofMillis(250);

    private final QmpClient qmp;
    private final Thread thread;
    private final AtomicInteger writes = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopping;

    private DiskDirtier(QmpClient qmp) {
        this.qmp = qmp;
        this.thread = new Thread(this::run, "dirtying-guest");
        thread.setDaemon(true);
    }

    /** Starts writing through that monitor (the domain's qmp-tools.sock). */
    static DiskDirtier start(QmpClient qmp) {
        DiskDirtier guest = new DiskDirtier(qmp);
        guest.thread.start();
        return guest;
    }

    /** Waits (30 s at most) until the guest has written the whole area at least once. */
    void awaitAreaWritten() throws InterruptedException {
        long chunks = AREA_LENGTH / CHUNK;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (writes.get() < chunks) {
            assertThat(failure.get()).as("the guest's writes").isNull();
            assertThat(System.nanoTime()).as("%d writes within 30 s", chunks).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Stops writing and waits until the last write is done; fails if a write failed. Returns the writes made. */
    int stop() throws InterruptedException {
        stopping = true;
        thread.join(Duration.ofSeconds(30).toMillis());
        assertThat(thread.isAlive()).as("the guest's writer stopped").isFalse();
        assertThat(failure.get()).as("the guest's writes").isNull();
        return writes.get();
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.join(Duration.ofSeconds(30).toMillis());
    }

    /** One write as the guest makes it, and the wait for it to complete. */
    static void write(QmpClient qmp, int pattern, long offset, long length) throws Exception {
        hmp(qmp, String.format("aio_write -P 0x%02x %d %d", pattern, offset, length));
        hmp(qmp, "aio_flush");
    }

    private static void hmp(QmpClient qmp, String command) throws Exception {
        String out = qmp.execute("human-monitor-command", Map.of("command-line",
                "qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend \"" + command + "\"")).asText();
        if (!out.isEmpty()) {
            throw new AssertionError("qemu-io " + command + ": " + out);
        }
    }

    private void run() {
        long next = System.nanoTime();
        try {
            while (!stopping) {
                long chunk = writes.get() % (AREA_LENGTH / CHUNK);
                write(qmp, PATTERN, AREA_OFFSET + chunk * CHUNK, CHUNK);
                writes.incrementAndGet();
                next += PERIOD.toNanos();
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        } catch (Throwable e) {
            failure.set(e);
        }
    }
}
