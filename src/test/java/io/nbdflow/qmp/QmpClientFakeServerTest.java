package io.nbdflow.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.testsupport.Wait;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QmpClientFakeServerTest {

    private static final Duration CONNECT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private FakeQmpServer server;
    private QmpClient client;

    @BeforeEach
    void startServer() throws Exception {
        server = FakeQmpServer.start(dir.resolve("qmp.sock"));
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    @Test
    void readsTheGreetingAndNegotiatesCapabilitiesFirst() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);

        assertEquals("7.2.22", client.qemuVersion());
        assertEquals("fake", client.greeting().path("QMP").path("version").path("package").asText());
        assertEquals(server.socket(), client.socket());
        assertTrue(client.isOpen());
        List<JsonNode> received = server.received();
        assertEquals(1, received.size());
        assertEquals("qmp_capabilities", received.get(0).path("execute").asText());
        assertTrue(received.get(0).has("id"));
    }

    /** yank must reach a QEMU whose main loop hangs: out of band, negotiated at connect time. */
    @Test
    void outOfBandIsNegotiatedWhenOfferedAndUsedForExecOob() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);
        JsonNode capabilities = server.received().get(0);
        assertEquals("oob", capabilities.path("arguments").path("enable").path(0).asText());

        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(client.executeOutOfBand("yank", Map.of("instances", List.of(Map.of("type",
                        "migration"))), Duration.ofSeconds(10)));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        thread.start();
        JsonNode command = server.nextCommand();
        assertEquals("yank", command.path("exec-oob").asText());
        assertTrue(command.path("execute").isMissingNode());
        assertEquals("migration", command.path("arguments").path("instances").path(0).path("type").asText());
        server.reply(command, Map.of());
        assertTrue(result.get(5, TimeUnit.SECONDS).isObject());
    }

    @Test
    void returnsTheReturnMemberAndSendsArguments() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);

        CompletableFuture<JsonNode> result = executeAsync("query-block-jobs", Map.of("device", "drive-vda"));
        JsonNode command = server.nextCommand();
        assertEquals("query-block-jobs", command.path("execute").asText());
        assertEquals("drive-vda", command.path("arguments").path("device").asText());
        server.reply(command, List.of(Map.of("device", "drive-vda", "ready", true)));

        JsonNode jobs = result.get(5, TimeUnit.SECONDS);
        assertTrue(jobs.isArray());
        assertTrue(jobs.get(0).path("ready").asBoolean());
    }

    @Test
    void anErrorReplyBecomesACommandException() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);

        CompletableFuture<JsonNode> result = executeAsync("drive-mirror", Map.of("device", "drive-vda"));
        server.replyError(server.nextCommand(), "GenericError", "Requested export not available");

        QmpCommandException error = assertInstanceOf(QmpCommandException.class, failureOf(result));
        assertEquals("GenericError", error.errorClass());
        assertEquals("Requested export not available", error.desc());
        assertEquals("drive-mirror", error.command());
        assertEquals("drive-mirror: GenericError: Requested export not available", error.getMessage());
        assertTrue(client.isOpen());
    }

    @Test
    void eventsBetweenACommandAndItsReplyAreDeliveredAndTheReplyMatched() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);
        BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
        client.subscribe(events::add);

        CompletableFuture<JsonNode> result = executeAsync("query-status", null);
        JsonNode command = server.nextCommand();
        server.event("BLOCK_JOB_READY", Map.of("device", "drive-vda"));
        server.event("STOP", null);
        server.reply(command, Map.of("status", "paused", "running", false));

        assertEquals("paused", result.get(5, TimeUnit.SECONDS).path("status").asText());
        QmpEvent ready = events.poll(5, TimeUnit.SECONDS);
        assertEquals("BLOCK_JOB_READY", ready.name());
        assertEquals("drive-vda", ready.data().path("device").asText());
        assertEquals(Instant.ofEpochSecond(1700000000L, 250_000_000L), ready.timestamp());
        QmpEvent stop = events.poll(5, TimeUnit.SECONDS);
        assertEquals("STOP", stop.name());
        assertTrue(stop.data().isObject());
    }

    @Test
    void unsubscribedListenersGetNoMoreEvents() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);
        BlockingQueue<QmpEvent> kept = new LinkedBlockingQueue<>();
        BlockingQueue<QmpEvent> dropped = new LinkedBlockingQueue<>();
        client.subscribe(kept::add);
        QmpClient.Subscription subscription = client.subscribe(dropped::add);

        server.event("FIRST", null);
        assertEquals("FIRST", kept.poll(5, TimeUnit.SECONDS).name());
        assertEquals("FIRST", dropped.poll(5, TimeUnit.SECONDS).name());
        subscription.close();
        server.event("SECOND", null);
        assertEquals("SECOND", kept.poll(5, TimeUnit.SECONDS).name());
        assertTrue(dropped.isEmpty());
    }

    @Test
    void garbageLinesAndUnknownRepliesAreSkipped() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);

        CompletableFuture<JsonNode> result = executeAsync("query-name", null);
        JsonNode command = server.nextCommand();
        server.send("this is not json {");
        server.send("");
        server.send("[1, 2, 3]");
        server.send("{\"return\": {}, \"id\": \"nobody-asked\"}");
        server.send("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}");
        server.reply(command, Map.of("name", "demo"));

        assertEquals("demo", result.get(5, TimeUnit.SECONDS).path("name").asText());
        assertTrue(client.isOpen());
    }

    @Test
    void concurrentCommandsAnsweredOutOfOrderGetTheirOwnReplies() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);

        CompletableFuture<JsonNode> first = executeAsync("first", null);
        JsonNode firstCommand = server.nextCommand();
        CompletableFuture<JsonNode> second = executeAsync("second", null);
        JsonNode secondCommand = server.nextCommand();
        assertFalse(firstCommand.get("id").equals(secondCommand.get("id")));

        server.reply(secondCommand, Map.of("answer", "second"));
        assertEquals("second", second.get(5, TimeUnit.SECONDS).path("answer").asText());
        assertFalse(first.isDone());
        server.reply(firstCommand, Map.of("answer", "first"));
        assertEquals("first", first.get(5, TimeUnit.SECONDS).path("answer").asText());
    }

    @Test
    void aSlowReplyTimesOutAndTheConnectionStaysUsable() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);

        QmpTimeoutException timeout = assertThrows(QmpTimeoutException.class,
                () -> client.execute("slow", null, Duration.ofMillis(200)));
        assertTrue(timeout.getMessage().startsWith("slow:"), timeout.getMessage());
        JsonNode slow = server.nextCommand();

        CompletableFuture<JsonNode> next = executeAsync("query-status", null);
        JsonNode command = server.nextCommand();
        server.reply(slow, Map.of("late", true)); // must be discarded, not taken for the next reply
        server.reply(command, Map.of("status", "running"));

        JsonNode status = next.get(5, TimeUnit.SECONDS);
        assertEquals("running", status.path("status").asText());
        assertFalse(status.has("late"));
        assertTrue(client.isOpen());
    }

    @Test
    void anAbruptCloseFailsThePendingCommandAndLaterOnes() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);
        CompletableFuture<Void> closed = client.closed();

        CompletableFuture<JsonNode> pending = executeAsync("drive-mirror", null);
        server.nextCommand();
        long start = System.nanoTime();
        server.dropClient();

        assertInstanceOf(QmpClosedException.class, failureOf(pending));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0);
        closed.get(2, TimeUnit.SECONDS);
        assertFalse(client.isOpen());
        long before = System.nanoTime();
        assertThrows(QmpClosedException.class, () -> client.execute("query-status"));
        assertTrue(Duration.ofNanos(System.nanoTime() - before).compareTo(Duration.ofSeconds(1)) < 0);
    }

    @Test
    void closingTheClientFailsPendingCommandsAndCompletesClosed() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);

        CompletableFuture<JsonNode> pending = executeAsync("query-status", null);
        server.nextCommand();
        client.close();

        assertInstanceOf(QmpClosedException.class, failureOf(pending));
        assertTrue(client.closed().isDone());
        assertThrows(QmpClosedException.class, () -> client.execute("query-status"));
    }

    @Test
    void aListenerMayExecuteCommandsWithoutDeadlock() throws Exception {
        client = QmpClient.connect(server.socket(), CONNECT);
        CompletableFuture<JsonNode> fromListener = new CompletableFuture<>();
        client.subscribe(event -> {
            try {
                fromListener.complete(client.execute("query-block-jobs", null, Duration.ofSeconds(5)));
            } catch (QmpException e) {
                fromListener.completeExceptionally(e);
            }
        });

        server.event("BLOCK_JOB_READY", Map.of("device", "drive-vda"));
        JsonNode command = server.nextCommand();
        assertEquals("query-block-jobs", command.path("execute").asText());
        server.reply(command, List.of());

        assertTrue(fromListener.get(5, TimeUnit.SECONDS).isArray());
    }

    @Test
    void connectRetriesUntilALateServerAccepts() throws Exception {
        Path late = dir.resolve("late.sock");
        CompletableFuture<QmpClient> connecting = CompletableFuture.supplyAsync(() -> {
            try {
                return QmpClient.connect(late, Duration.ofSeconds(10));
            } catch (QmpException e) {
                throw new RuntimeException(e);
            }
        });
        Wait.pause("connect keeps trying while nothing listens", Duration.ofMillis(700));
        assertFalse(connecting.isDone());

        try (FakeQmpServer lateServer = FakeQmpServer.start(late)) {
            client = connecting.get(10, TimeUnit.SECONDS);
            assertEquals("7.2.22", client.qemuVersion());
            assertEquals("qmp_capabilities", lateServer.received().get(0).path("execute").asText());
        }
    }

    @Test
    void connectGivesUpAfterTheTimeoutWhenNothingListens() {
        long start = System.nanoTime();
        QmpException error = assertThrows(QmpException.class,
                () -> QmpClient.connect(dir.resolve("nobody.sock"), Duration.ofMillis(500)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofMillis(400)) > 0, took.toString());
        assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, took.toString());
        assertTrue(error.getMessage().contains("nobody.sock"), error.getMessage());
    }

    /** The same socket path on two hosts is two monitors; each is reached through its own transport. */
    @Test
    void thePoolKeepsOneClientPerHostAndSocket() throws Exception {
        Path samePath = Path.of("/srv/state/vm1/qmp.sock");
        try (FakeQmpServer other = FakeQmpServer.start(dir.resolve("other.sock"));
             QmpConnectionPool pool = new QmpConnectionPool(CONNECT)) {
            QmpClient onA = pool.get("host-a", samePath, QmpTransport.unixSocket(server.socket()));
            QmpClient onB = pool.get("host-b", samePath, QmpTransport.unixSocket(other.socket()));

            assertNotSame(onA, onB);
            assertSame(onA, pool.get("host-a", samePath, QmpTransport.unixSocket(server.socket())));
            assertEquals(samePath, onA.socket());
            assertEquals(1, server.received().size());
            assertEquals(1, other.received().size());

            pool.evict("host-b", samePath);
            assertFalse(onB.isOpen());
            assertTrue(onA.isOpen());
        }
    }

    private CompletableFuture<JsonNode> executeAsync(String command, Object arguments) {
        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(client.execute(command, arguments, Duration.ofSeconds(10)));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "test-" + command);
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    private static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        ExecutionException failure = assertThrows(ExecutionException.class, () -> future.get(2, TimeUnit.SECONDS));
        return failure.getCause();
    }
}
