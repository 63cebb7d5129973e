package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.qmp.FakeQmpServer;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpCommandException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The switch of running mirrors to write-blocking as a QEMU with {@code block-job-change} (8.2 and
 * later) sees it. QEMU here is 7.2, which lacks the command: a fake QMP server plays the newer QEMU,
 * answering as its schema says (an empty return; {@code actively-synced} in each mirror's entry of
 * {@code query-block-jobs}).
 */
class WriteBlockingSwitchTest {
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
    void availableWhereQemuListsTheCommand() {
        assertThat(WriteBlockingSwitch.available(Set.of("blockdev-mirror", "block-job-change"))).isTrue();
        assertThat(WriteBlockingSwitch.available(Set.of("blockdev-mirror", "block-job-cancel"))).isFalse();
    }

    @Test
    void switchesEachMirrorOfOursByItsJobId() throws Exception {
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> call(() -> {
            WriteBlockingSwitch.switchMirrors(qmp, List.of("vda", "vdb"));
            return null;
        }));
        for (String target : List.of("vda", "vdb")) {
            JsonNode command = qemu.nextCommand();
            assertThat(command.path("execute").asText()).isEqualTo("block-job-change");
            assertThat(command.path("arguments").path("id").asText()).isEqualTo("nbdflow-mirror-" + target);
            assertThat(command.path("arguments").path("type").asText()).isEqualTo("mirror");
            assertThat(command.path("arguments").path("copy-mode").asText()).isEqualTo("write-blocking");
            assertThat(command.path("arguments").size()).isEqualTo(3);
            qemu.reply(command, Map.of());
        }
        done.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aWaitAsksForTheSwitchOnceThenOnlyLooksUntilEveryMirrorIsActivelySynced() throws Exception {
        WriteBlockingSwitch change = new WriteBlockingSwitch(List.of("vda", "vdb"));
        CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> call(() -> change.switchAndCheck(qmp)));
        for (String target : List.of("vda", "vdb")) {
            JsonNode command = qemu.nextCommand();
            assertThat(command.path("execute").asText()).isEqualTo("block-job-change");
            assertThat(command.path("arguments").path("id").asText()).isEqualTo("nbdflow-mirror-" + target);
            qemu.reply(command, Map.of());
        }
        JsonNode query = qemu.nextCommand();
        assertThat(query.path("execute").asText()).isEqualTo("query-block-jobs");
        qemu.reply(query, List.of(job("vda", true, true), job("vdb", true, false)));
        assertThat(first.get(5, TimeUnit.SECONDS)).as("vdb still catching up").isFalse();

        CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> call(() -> change.switchAndCheck(qmp)));
        query = qemu.nextCommand();
        assertThat(query.path("execute").asText()).as("no second switch").isEqualTo("query-block-jobs");
        qemu.reply(query, List.of(job("vda", true, true), job("vdb", true, true)));
        assertThat(second.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRefusedSwitchIsQemusError() throws Exception {
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> call(() -> {
            WriteBlockingSwitch.switchMirrors(qmp, List.of("vda"));
            return null;
        }));
        JsonNode command = qemu.nextCommand();
        qemu.replyError(command, "GenericError", "Expected current copy mode 'background', got 'write-blocking'");
        assertThatThrownBy(() -> done.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(QmpCommandException.class)
                .hasMessageContaining("Expected current copy mode");
    }

    @Test
    void inSyncOnlyOnceEveryMirrorIsReadyAndActivelySynced() throws Exception {
        Map<String, Object> vdaSynced = job("vda", true, true);
        Map<String, Object> operators = Map.of("device", "operator-job", "type", "mirror", "ready", false);
        assertThat(activelySynced(List.of(vdaSynced, job("vdb", true, false), operators))).as("vdb still catching up")
                .isFalse();
        assertThat(activelySynced(List.of(vdaSynced, job("vdb", false, false)))).as("vdb not ready").isFalse();
        assertThat(activelySynced(List.of(vdaSynced))).as("vdb's mirror gone").isFalse();
        assertThat(activelySynced(List.of(vdaSynced, job("vdb", true, true), operators))).as("both synced").isTrue();
    }

    @Test
    void aQemuThatDoesNotReportActiveSyncIsInSyncWhenReady() throws Exception {
        Map<String, Object> vda = Map.of("device", "nbdflow-mirror-vda", "type", "mirror", "ready", true);
        Map<String, Object> vdb = Map.of("device", "nbdflow-mirror-vdb", "type", "mirror", "ready", true);
        assertThat(activelySynced(List.of(vda, vdb))).isTrue();
    }

    // ---- helpers

    private static Map<String, Object> job(String target, boolean ready, boolean activelySynced) {
        return Map.of("device", "nbdflow-mirror-" + target, "type", "mirror", "status", ready ? "ready" : "running",
                "ready", ready, "actively-synced", activelySynced);
    }

    /** activelySynced for vda and vdb, QEMU answering query-block-jobs with those jobs. */
    private boolean activelySynced(List<Map<String, Object>> jobs) throws Exception {
        CompletableFuture<Boolean> result = CompletableFuture.supplyAsync(
                () -> call(() -> WriteBlockingSwitch.activelySynced(qmp, List.of("vda", "vdb"))));
        JsonNode command = qemu.nextCommand();
        assertThat(command.path("execute").asText()).isEqualTo("query-block-jobs");
        qemu.reply(command, jobs);
        return result.get(5, TimeUnit.SECONDS);
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private static <T> T call(Call<T> call) {
        try {
            return call.run();
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
