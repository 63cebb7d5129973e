package io.nbdflow.qmp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared connection per monitor socket. QEMU serves a single client per monitor socket,
 * so every component that talks to a domain must share the same {@link QmpClient}.
 */
public final class QmpConnectionPool implements AutoCloseable {

    private final Duration connectTimeout;
    private final Map<Path, QmpClient> clients = new ConcurrentHashMap<>();
    /** One lock per socket: connecting to one QEMU must not hold up callers of another. */
    private final Map<Path, Object> locks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public QmpConnectionPool(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /** The open client for that socket, connecting (again) if there is none or the old one closed. */
    public QmpClient get(Path socket) throws QmpException {
        Path key = key(socket);
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            if (closed) {
                throw new QmpClosedException("QMP connection pool is closed");
            }
            QmpClient client = clients.get(key);
            if (client != null && client.isOpen()) {
                return client;
            }
            client = QmpClient.connect(socket, connectTimeout);
            clients.put(key, client);
            if (closed) {
                // the pool closed while we were connecting: do not leak the connection
                clients.remove(key, client);
                client.close();
                throw new QmpClosedException("QMP connection pool is closed");
            }
            return client;
        }
    }

    /** Closes the connection to that socket, if any, and forgets it. */
    public void evict(Path socket) {
        QmpClient client = clients.remove(key(socket));
        if (client != null) {
            client.close();
        }
    }

    /** Closes every connection; QEMU processes keep running. */
    @Override
    public void close() {
        closed = true;
        List<QmpClient> all = new ArrayList<>(clients.values());
        clients.clear();
        all.forEach(QmpClient::close);
    }

    private static Path key(Path socket) {
        return socket.toAbsolutePath().normalize();
    }
}
