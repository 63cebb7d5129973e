package io.nbdflow.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-process QMP server on a real UNIX socket, driven by the test: it greets each client,
 * answers {@code qmp_capabilities} by itself, and queues every other command for the test to
 * answer (or not) in any order. Public for tests of the layers above that talk QMP.
 */
public final class FakeQmpServer implements AutoCloseable {

    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7},"
            + " \"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;
    private final ServerSocketChannel server;
    private final BlockingQueue<JsonNode> commands = new LinkedBlockingQueue<>();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private volatile SocketChannel client;

    private FakeQmpServer(Path socket) throws IOException {
        this.socket = socket;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread acceptor = new Thread(this::acceptLoop, "fake-qmp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static FakeQmpServer start(Path socket) throws IOException {
        return new FakeQmpServer(socket);
    }

    public Path socket() {
        return socket;
    }

    /** Every message received, qmp_capabilities included, in order. */
    public List<JsonNode> received() {
        return received;
    }

    /** The next command other than qmp_capabilities; fails the test if none comes within 5 s. */
    public JsonNode nextCommand() throws InterruptedException {
        JsonNode command = commands.poll(5, TimeUnit.SECONDS);
        if (command == null) {
            throw new AssertionError("no command reached the fake QMP server within 5 s");
        }
        return command;
    }

    /** True if no other command arrives within {@code wait}. */
    public boolean noCommandWithin(Duration wait) throws InterruptedException {
        return commands.poll(wait.toMillis(), TimeUnit.MILLISECONDS) == null;
    }

    public void reply(JsonNode command, Object result) throws IOException {
        ObjectNode reply = JSON.createObjectNode();
        reply.set("return", JSON.valueToTree(result));
        reply.set("id", command.get("id"));
        send(reply.toString());
    }

    public void replyError(JsonNode command, String errorClass, String desc) throws IOException {
        ObjectNode reply = JSON.createObjectNode();
        reply.putObject("error").put("class", errorClass).put("desc", desc);
        reply.set("id", command.get("id"));
        send(reply.toString());
    }

    public void event(String name, Object data) throws IOException {
        ObjectNode event = JSON.createObjectNode();
        event.put("event", name);
        if (data != null) {
            event.set("data", JSON.valueToTree(data));
        }
        event.putObject("timestamp").put("seconds", 1700000000L).put("microseconds", 250000);
        send(event.toString());
    }

    /** Writes one raw line (a newline is added) to the connected client. */
    synchronized void send(String line) throws IOException {
        SocketChannel current = client;
        if (current == null) {
            throw new IOException("no client connected to the fake QMP server");
        }
        ByteBuffer buffer = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            current.write(buffer);
        }
    }

    /** Closes the client connection abruptly, as a QEMU killed by SIGKILL would. */
    void dropClient() throws IOException {
        SocketChannel current = client;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public void close() throws IOException {
        dropClient();
        server.close();
        Files.deleteIfExists(socket);
    }

    private void acceptLoop() {
        try {
            while (true) {
                SocketChannel accepted = server.accept();
                client = accepted;
                send(GREETING);
                serve(accepted);
            }
        } catch (IOException e) {
            // server closed: the test is over
        }
    }

    private void serve(SocketChannel channel) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                JsonNode message = JSON.readTree(line);
                received.add(message);
                if ("qmp_capabilities".equals(message.path("execute").asText())) {
                    reply(message, JSON.createObjectNode());
                } else {
                    commands.add(message);
                }
            }
        } catch (IOException e) {
            // client gone or dropped by the test
        }
    }
}
