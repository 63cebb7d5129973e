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
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real QEMU with two monitors, a child of this JVM killed after each test. */
class QmpClientQemuTest {

    private static final Duration CONNECT = Duration.ofSeconds(20);
    /** The host name the pool keys this machine's monitors by. */
    private static final String LOCAL = "local";

    @TempDir
    Path dir;

    private Process qemu;
    private Path monitor;
    private Path toolsMonitor;

    @BeforeEach
    void startQemu() throws Exception {
        monitor = dir.resolve("qmp.sock");
        toolsMonitor = dir.resolve("qmp-tools.sock");
        // fails loudly (IOException) if QEMU is not installed
        qemu = new ProcessBuilder(List.of("qemu-system-x86_64",
                "-machine", "pc,accel=tcg", "-m", "64", "-nodefaults", "-display", "none", "-no-user-config",
                "-qmp", "unix:" + monitor + ",server=on,wait=off",
                "-qmp", "unix:" + toolsMonitor + ",server=on,wait=off"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile())
                .start();
    }

    @AfterEach
    void killQemu() throws Exception {
        if (qemu != null) {
            qemu.destroyForcibly();
            assertTrue(qemu.waitFor(10, TimeUnit.SECONDS), "QEMU did not exit after SIGKILL");
        }
    }

    @Test
    void greetsWithItsVersionAndRuns() throws Exception {
        try (QmpClient client = QmpClient.connect(monitor, CONNECT)) {
            assertTrue(client.qemuVersion().startsWith("7."), client.qemuVersion());
            assertTrue(client.qemuVersion().matches("\\d+\\.\\d+\\.\\d+"), client.qemuVersion());
            JsonNode status = client.execute("query-status");
            assertEquals("running", status.path("status").asText());
            assertTrue(status.path("running").asBoolean());
        }
    }

    @Test
    void anUnknownCommandIsCommandNotFound() throws Exception {
        try (QmpClient client = QmpClient.connect(monitor, CONNECT)) {
            QmpCommandException error = assertThrows(QmpCommandException.class,
                    () -> client.execute("no-such-command"));
            assertEquals("CommandNotFound", error.errorClass());
            assertEquals("no-such-command", error.command());
            assertTrue(error.getMessage().startsWith("no-such-command: CommandNotFound: "), error.getMessage());
            // a failed command leaves the connection usable
            assertEquals("running", client.execute("query-status").path("status").asText());
        }
    }

    @Test
    void stopSendsAStopEventToSubscribers() throws Exception {
        try (QmpClient client = QmpClient.connect(monitor, CONNECT)) {
            BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
            client.subscribe(events::add);

            client.execute("stop");

            assertEquals("STOP", nextEventNamed(events, "STOP").name());
            assertEquals("paused", client.execute("query-status").path("status").asText());
        }
    }

    @Test
    void theSecondMonitorIsIndependentAndUsableAtTheSameTime() throws Exception {
        try (QmpClient main = QmpClient.connect(monitor, CONNECT);
             QmpClient tools = QmpClient.connect(toolsMonitor, CONNECT)) {
            BlockingQueue<QmpEvent> toolsEvents = new LinkedBlockingQueue<>();
            tools.subscribe(toolsEvents::add);

            assertEquals("running", tools.execute("query-status").path("status").asText());
            main.execute("stop");
            // both monitors see the state change: they talk to the same QEMU
            assertEquals("STOP", nextEventNamed(toolsEvents, "STOP").name());
            assertEquals("paused", tools.execute("query-status").path("status").asText());
            tools.execute("cont");
            assertEquals("running", main.execute("query-status").path("status").asText());

            // closing one monitor's client leaves the other working
            tools.close();
            assertFalse(tools.isOpen());
            assertTrue(main.execute("query-commands").isArray());
        }
    }

    @Test
    void killingQemuFailsThePendingCommandAndClosesTheClient() throws Exception {
        try (QmpClient client = QmpClient.connect(monitor, CONNECT)) {
            CompletableFuture<Void> closed = client.closed();
            // a frozen QEMU reads nothing: the next command stays pending until the kill
            freeze(qemu);
            CompletableFuture<JsonNode> pending = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.execute("query-status", null, Duration.ofSeconds(30));
                } catch (QmpException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            Wait.pause("a running QEMU would have answered by now", Duration.ofMillis(300));
            assertFalse(pending.isDone(), "the command should be waiting for the frozen QEMU");

            long start = System.nanoTime();
            qemu.destroyForcibly();

            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> pending.get(2, TimeUnit.SECONDS));
            assertInstanceOf(QmpClosedException.class, failure.getCause());
            closed.get(2, TimeUnit.SECONDS);
            assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0);
            assertFalse(client.isOpen());
            assertThrows(QmpClosedException.class, () -> client.execute("query-status"));
        }
    }

    @Test
    void thePoolSharesOneClientPerSocketAndReconnectsAfterClose() throws Exception {
        try (QmpConnectionPool pool = new QmpConnectionPool(CONNECT)) {
            QmpClient first = local(pool, monitor);
            assertSame(first, local(pool, monitor));
            assertSame(first, local(pool, dir.resolve(".").resolve("qmp.sock")));
            QmpClient tools = local(pool, toolsMonitor);
            assertNotSame(first, tools);

            first.close();
            QmpClient second = local(pool, monitor);
            assertNotSame(first, second);
            assertTrue(second.isOpen());
            assertEquals("running", second.execute("query-status").path("status").asText());

            pool.evict(LOCAL, monitor);
            assertFalse(second.isOpen());
            QmpClient third = local(pool, monitor);
            assertNotSame(second, third);
            assertEquals("running", third.execute("query-status").path("status").asText());

            pool.close();
            assertFalse(third.isOpen());
            assertFalse(tools.isOpen());
            assertThrows(QmpClosedException.class, () -> local(pool, monitor));
            // closing the pool never stops QEMU
            assertTrue(qemu.isAlive());
        }
    }

    /** The pool's client for a monitor socket of this machine. */
    private static QmpClient local(QmpConnectionPool pool, Path socket) throws QmpException {
        return pool.get(LOCAL, socket, QmpTransport.unixSocket(socket));
    }

    private static QmpEvent nextEventNamed(BlockingQueue<QmpEvent> events, String name) throws InterruptedException {
        // the queue's poll blocks for 100 ms itself: no pause between two probes
        return Wait.every(Duration.ZERO).until("a " + name + " event", Duration.ofSeconds(10),
                () -> events.poll(100, TimeUnit.MILLISECONDS), event -> event != null && event.name().equals(name));
    }

    /** SIGSTOP: the process stays alive but stops reading its monitor. */
    private static void freeze(Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-STOP", Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
    }
}
