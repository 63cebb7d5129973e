package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.qmp.FakeQmpServer;
import io.nbdflow.qmp.QmpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest's write rate from two reads of {@code query-blockstats} (a fake QMP server answers): the
 * first may be the snapshot taken when the source was inspected, if it is neither too recent nor too
 * old; else the rate is measured over a fresh window.
 */
class GuestWriteRateTest {
    private static final long MIB = 1 << 20;
    private static final Duration WINDOW = Duration.ofMillis(50);

    @TempDir
    Path dir;

    private FakeQmpServer qemu;
    private QmpClient qmp;

    @BeforeEach
    void connect() throws Exception {
        qemu = FakeQmpServer.start(dir.resolve("qmp.sock"));
        qmp = QmpClient.connect(qemu.socket(), Duration.ofSeconds(5));
    }

    @AfterEach
    void close() throws Exception {
        qmp.close();
        qemu.close();
    }

    @Test
    void theRateIsTheGrowthOfTheWrittenBytesOverTheTimeBetween() {
        GuestWriteRate.Snapshot before = new GuestWriteRate.Snapshot(10_000, Map.of("vda", 4 * MIB, "vdb", 0L));
        GuestWriteRate.Snapshot after = new GuestWriteRate.Snapshot(12_000, Map.of("vda", 20 * MIB, "vdb", 0L));
        assertThat(GuestWriteRate.rate(before, after, "vda")).isEqualTo(8 * MIB);
        assertThat(GuestWriteRate.rate(before, after, "vdb")).isZero();
        assertThat(GuestWriteRate.rate(after, before, "vda")).as("counters never go back").isZero();
    }

    @Test
    void aSnapshotFromSecondsAgoTakesOneMoreRead() throws Exception {
        long now = System.currentTimeMillis();
        var earlier = Optional.of(new GuestWriteRate.Snapshot(now - 3000, Map.of("vda", 0L)));
        CompletableFuture<OptionalLong> rate = measure(earlier);
        answer(MIB);
        assertThat(rate.get(5, TimeUnit.SECONDS)).isPresent();
        assertThat(rate.get().getAsLong()).isPositive().isLessThanOrEqualTo(MIB / 3);
        assertThat(qemu.noCommandWithin(Duration.ofMillis(200))).as("no second read").isTrue();
    }

    @Test
    void aSnapshotTooRecentTooOldOrWithoutTheDiskIsMeasuredAfresh() throws Exception {
        long now = System.currentTimeMillis();
        for (GuestWriteRate.Snapshot earlier : List.of(new GuestWriteRate.Snapshot(now, Map.of("vda", 0L)),
                new GuestWriteRate.Snapshot(now - 3_600_000, Map.of("vda", 0L)),
                new GuestWriteRate.Snapshot(now + 5000, Map.of("vda", 0L)),
                new GuestWriteRate.Snapshot(now - 3000, Map.of("vdb", 0L)))) {
            CompletableFuture<OptionalLong> rate = measure(Optional.of(earlier));
            answer(MIB);
            answer(MIB);
            assertThat(rate.get(5, TimeUnit.SECONDS)).as("%s", earlier).hasValue(0);
        }
    }

    @Test
    void aDiskQemuDoesNotListHasNoRate() throws Exception {
        CompletableFuture<OptionalLong> rate = measure(Optional.empty());
        JsonNode command = qemu.nextCommand();
        qemu.reply(command, List.of(Map.of("device", "drive-vdb", "stats", Map.of("wr_bytes", 0))));
        assertThat(rate.get(5, TimeUnit.SECONDS)).isEmpty();
        assertThat(qemu.noCommandWithin(Duration.ofMillis(200))).as("no second read").isTrue();
    }

    // ---- helpers

    private CompletableFuture<OptionalLong> measure(Optional<GuestWriteRate.Snapshot> earlier) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return GuestWriteRate.bytesPerSecond(qmp, "vda", earlier, WINDOW);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
    }

    /** Answers the next query-blockstats: vda has that many bytes written. */
    private void answer(long vdaWritten) throws Exception {
        JsonNode command = qemu.nextCommand();
        assertThat(command.path("execute").asText()).isEqualTo("query-blockstats");
        qemu.reply(command, List.of(Map.of("device", "drive-vda", "node-name", "#block110",
                "stats", Map.of("wr_bytes", vdaWritten))));
    }
}
