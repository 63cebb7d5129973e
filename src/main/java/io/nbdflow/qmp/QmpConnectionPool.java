package io.nbdflow.qmp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared connection per monitor socket of each host. QEMU serves a single client per monitor
 * socket, so every component that talks to a domain must share the same {@link QmpClient}. The
 * same path on two hosts is two monitors, so connections are kept per host name and socket.
 */
public final class QmpConnectionPool implements AutoCloseable {

    private record Key(String host, Path socket) {
    }

    private final Duration connectTimeout;
    private final Map<Key, QmpClient> clients = new ConcurrentHashMap<>();
    /** One lock per monitor: connecting to one QEMU must not hold up callers of another. */
    private final Map<Key, Object> locks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public QmpConnectionPool(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /**
     * The open client for that host's socket, connecting (again) through {@code transport} if
     * there is none or the old one closed.
     */
    public QmpClient get(String host, Path socket, QmpTransport transport) throws QmpException {
        Key key = key(host, socket);
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            if (closed) {
                throw new QmpClosedException("QMP connection pool is closed");
            }
            QmpClient client = clients.get(key);
            if (client != null && client.isOpen()) {
                return client;
            }
            client = QmpClient.connect(socket, transport, connectTimeout);
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

    /** Closes the connection to that host's socket, if any, and forgets it. */
    public void evict(String host, Path socket) {
        QmpClient client = clients.remove(key(host, socket));
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

    private static Key key(String host, Path socket) {
        return new Key(host, socket.toAbsolutePath().normalize());
    }
}
