package io.nbdflow.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to a QEMU monitor (QMP), named by its socket path and reached through a
 * {@link QmpTransport} (by default the UNIX socket itself).
 *
 * <p>Several threads may issue commands at once: each command carries a unique "id" and its
 * reply is matched by it. A daemon reader thread reads the socket line by line; events are
 * handed to a second daemon thread, so an event listener may itself call {@link #execute}.
 * Closing the client closes the connection only; QEMU keeps running.
 */
public final class QmpClient implements AutoCloseable {

    /** A subscription handle whose {@code close()} throws nothing. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(QmpClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_RETRY_PAUSE = Duration.ofMillis(50);
    /** A reply larger than this is not QMP talking; give up rather than exhaust memory. */
    private static final int MAX_LINE_BYTES = 64 * 1024 * 1024;

    private final Path socket;
    private final ByteChannel channel;
    private final String name;
    private final Object writeLock = new Object();
    private final AtomicLong nextId = new AtomicLong();
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<JsonNode> greetingReceived = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicBoolean terminated = new AtomicBoolean();
    private final ExecutorService dispatcher;
    private volatile boolean open = true;
    private volatile JsonNode greeting;
    private volatile boolean outOfBand;

    private QmpClient(Path socket, ByteChannel channel) {
        this.socket = socket;
        this.channel = channel;
        this.name = String.valueOf(socket.getFileName());
        this.dispatcher = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "qmp-events-" + name);
            thread.setDaemon(true);
            return thread;
        });
        Thread reader = new Thread(this::readLoop, "qmp-reader-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects to the monitor at {@code socket}, retrying while the socket does not accept yet
     * (QEMU may still be starting), then reads the greeting and negotiates capabilities, all
     * within {@code connectTimeout}.
     */
    public static QmpClient connect(Path socket, Duration connectTimeout) throws QmpException {
        return connect(socket, QmpTransport.unixSocket(socket), connectTimeout);
    }

    /**
     * {@link #connect(Path, Duration)} through that transport; {@code socket} is the monitor's
     * path where the transport reaches it, used to name this connection.
     */
    public static QmpClient connect(Path socket, QmpTransport transport, Duration connectTimeout)
            throws QmpException {
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        ByteChannel channel = openChannel(socket, transport, deadline, connectTimeout);
        QmpClient client = new QmpClient(socket, channel);
        try {
            client.awaitGreeting(deadline, connectTimeout);
            // out-of-band execution, if offered, so that yank can reach a QEMU whose main loop hangs;
            // it can only be negotiated now: qmp_capabilities itself needs the main loop
            boolean oob = false;
            for (JsonNode c : client.greeting.path("QMP").path("capabilities")) {
                oob |= c.asText().equals("oob");
            }
            client.execute("qmp_capabilities", oob ? Map.of("enable", List.of("oob")) : null, remaining(deadline));
            client.outOfBand = oob;
            return client;
        } catch (QmpException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static ByteChannel openChannel(Path socket, QmpTransport transport, long deadline,
                                           Duration connectTimeout) throws QmpException {
        IOException last;
        while (true) {
            try {
                return transport.open();
            } catch (IOException e) {
                // missing socket file or nobody listening yet: QEMU may still be starting
                last = e;
            }
            if (System.nanoTime() + CONNECT_RETRY_PAUSE.toNanos() > deadline) {
                throw new QmpException("cannot connect to QMP socket " + socket + " within "
                        + connectTimeout + ": " + last.getMessage(), last);
            }
            try {
                Thread.sleep(CONNECT_RETRY_PAUSE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QmpException("interrupted while connecting to " + socket, e);
            }
        }
    }

    private void awaitGreeting(long deadline, Duration connectTimeout) throws QmpException {
        try {
            greeting = greetingReceived.get(remaining(deadline).toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new QmpTimeoutException("no QMP greeting on " + socket + " within " + connectTimeout
                    + " (is another client already connected to this monitor?)");
        } catch (ExecutionException e) {
            throw new QmpClosedException("connection to " + socket + " closed before the greeting",
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for the QMP greeting", e);
        }
    }

    /** QEMU's version from the greeting, "major.minor.micro", e.g. "7.2.22". */
    public String qemuVersion() {
        JsonNode qemu = greeting.path("QMP").path("version").path("qemu");
        return qemu.path("major").asInt() + "." + qemu.path("minor").asInt() + "." + qemu.path("micro").asInt();
    }

    /** The whole greeting message, {@code {"QMP":{"version":...,"capabilities":[...]}}}. */
    public JsonNode greeting() {
        return greeting;
    }

    public JsonNode execute(String command) throws QmpException {
        return execute(command, null, DEFAULT_COMMAND_TIMEOUT);
    }

    public JsonNode execute(String command, Object arguments) throws QmpException {
        return execute(command, arguments, DEFAULT_COMMAND_TIMEOUT);
    }

    /**
     * Runs a command and returns its "return" member.
     *
     * @param arguments a {@code Map}, a {@code JsonNode} object, any object Jackson turns into a
     *                  JSON object, or {@code null} for none
     */
    public JsonNode execute(String command, Object arguments, Duration timeout) throws QmpException {
        return call("execute", command, arguments, timeout);
    }

    /**
     * Runs a command out of band ({@code exec-oob}): QEMU's monitor thread answers it even while the
     * main loop is stuck (for {@code yank}). Falls back to in-band where QEMU did not offer it.
     */
    public JsonNode executeOutOfBand(String command, Object arguments, Duration timeout) throws QmpException {
        return call(outOfBand ? "exec-oob" : "execute", command, arguments, timeout);
    }

    private JsonNode call(String verb, String command, Object arguments, Duration timeout) throws QmpException {
        String id = name + "-" + nextId.incrementAndGet();
        ObjectNode message = JSON.createObjectNode();
        message.put(verb, command);
        ObjectNode args = toArguments(arguments);
        if (args != null) {
            message.set("arguments", args);
        }
        message.put("id", id);

        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            if (!open) {
                throw new QmpClosedException(command + ": connection to " + socket + " is closed");
            }
            send(command, message);
            JsonNode response = reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            JsonNode error = response.get("error");
            if (error != null) {
                throw new QmpCommandException(command, error.path("class").asText(), error.path("desc").asText());
            }
            return response.path("return");
        } catch (TimeoutException e) {
            throw new QmpTimeoutException(command + ": no reply from " + socket + " within " + timeout);
        } catch (ExecutionException e) {
            throw new QmpClosedException(command + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException(command + ": interrupted while waiting for the reply", e);
        } finally {
            // after a timeout a late reply finds no entry and is discarded
            pending.remove(id);
        }
    }

    private static ObjectNode toArguments(Object arguments) {
        if (arguments == null) {
            return null;
        }
        JsonNode node = arguments instanceof JsonNode json ? json : JSON.valueToTree(arguments);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!(node instanceof ObjectNode object)) {
            throw new IllegalArgumentException("QMP arguments must be a JSON object, got " + node.getNodeType());
        }
        return object;
    }

    private void send(String command, ObjectNode message) throws QmpException {
        byte[] bytes;
        try {
            bytes = (JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize arguments of " + command, e);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        synchronized (writeLock) {
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                terminate("write to " + socket + " failed: " + e.getMessage(), e);
                throw new QmpClosedException(command + ": connection to " + socket + " lost", e);
            }
        }
    }

    /**
     * Registers a listener for asynchronous events. Listeners run one event at a time, in
     * arrival order, on this connection's event thread. Closing the handle unsubscribes.
     */
    public Subscription subscribe(Consumer<QmpEvent> listener) {
        // a wrapper so that subscribing the same listener twice gives two independent handles
        Consumer<QmpEvent> entry = listener::accept;
        listeners.add(entry);
        return () -> listeners.remove(entry);
    }

    public boolean isOpen() {
        return open;
    }

    /** Completes when the connection ends: QEMU exited, the socket closed, or {@link #close()}. */
    public CompletableFuture<Void> closed() {
        // a copy, so that callers cannot complete ours
        return closed.copy();
    }

    public Path socket() {
        return socket;
    }

    /** Closes the connection; never stops QEMU. Pending commands fail with {@link QmpClosedException}. */
    @Override
    public void close() {
        terminate("client closed", null);
    }

    @Override
    public String toString() {
        return "QmpClient[" + socket + (open ? "" : ", closed") + "]";
    }

    private void readLoop() {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        String reason = "QEMU closed the monitor " + socket;
        Throwable cause = null;
        try {
            while (true) {
                buffer.clear();
                int count = channel.read(buffer);
                if (count < 0) {
                    break;
                }
                byte[] bytes = buffer.array();
                int start = 0;
                for (int i = 0; i < count; i++) {
                    if (bytes[i] == '\n') {
                        line.write(bytes, start, i - start);
                        handleLine(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                        start = i + 1;
                    }
                }
                line.write(bytes, start, count - start);
                if (line.size() > MAX_LINE_BYTES) {
                    reason = "line longer than " + MAX_LINE_BYTES + " bytes from " + socket;
                    break;
                }
            }
        } catch (IOException e) {
            if (open) {
                reason = "reading " + socket + " failed: " + e.getMessage();
                cause = e;
            }
        } catch (RuntimeException e) {
            reason = "QMP reader of " + socket + " failed: " + e;
            cause = e;
            log.error("QMP reader of {} failed", socket, e);
        }
        terminate(reason, cause);
    }

    private void handleLine(String line) {
        if (line.isBlank()) {
            return;
        }
        JsonNode message;
        try {
            message = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            log.warn("{}: skipping a line that is not JSON: {}", socket, abbreviate(line));
            return;
        }
        if (message == null || !message.isObject()) {
            log.warn("{}: skipping a line that is not a JSON object: {}", socket, abbreviate(line));
        } else if (message.has("QMP")) {
            greetingReceived.complete(message);
        } else if (message.has("event")) {
            dispatch(toEvent(message));
        } else if (message.has("return") || message.has("error")) {
            JsonNode id = message.get("id");
            CompletableFuture<JsonNode> reply = id == null ? null : pending.remove(id.asText());
            if (reply != null) {
                reply.complete(message);
            } else {
                log.warn("{}: discarding a reply nobody waits for (late or unknown id): {}", socket,
                        abbreviate(line));
            }
        } else {
            log.warn("{}: skipping an unknown message: {}", socket, abbreviate(line));
        }
    }

    private static QmpEvent toEvent(JsonNode message) {
        JsonNode data = message.get("data");
        if (data == null) {
            data = JSON.createObjectNode();
        }
        JsonNode time = message.path("timestamp");
        Instant timestamp = time.has("seconds")
                ? Instant.ofEpochSecond(time.path("seconds").asLong(), time.path("microseconds").asLong() * 1000)
                : Instant.now();
        return new QmpEvent(message.path("event").asText(), data, timestamp);
    }

    private void dispatch(QmpEvent event) {
        try {
            dispatcher.execute(() -> {
                for (Consumer<QmpEvent> listener : listeners) {
                    try {
                        listener.accept(event);
                    } catch (RuntimeException e) {
                        log.warn("{}: listener failed on event {}", socket, event.name(), e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("{}: dropping event {} after close", socket, event.name());
        }
    }

    /** Ends the connection once: fails every pending command and completes {@link #closed()}. */
    private void terminate(String reason, Throwable cause) {
        if (!terminated.compareAndSet(false, true)) {
            return;
        }
        open = false;
        closeQuietly(channel);
        QmpClosedException failure = new QmpClosedException(reason, cause);
        greetingReceived.completeExceptionally(failure);
        for (Iterator<CompletableFuture<JsonNode>> it = pending.values().iterator(); it.hasNext(); ) {
            it.next().completeExceptionally(failure);
            it.remove();
        }
        // events already queued (e.g. SHUTDOWN just before EOF) are still delivered
        dispatcher.shutdown();
        log.debug("{}: connection ended: {}", socket, reason);
        closed.complete(null);
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static String abbreviate(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }

    private static void closeQuietly(ByteChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do with a channel that fails to close
        }
    }
}
