package io.nbdflow.host;

import java.time.Duration;

import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpConnectionPool;
import io.nbdflow.qmp.QmpException;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The QMP monitors of the domains' QEMUs, each reached through its host's connection. QEMU serves
 * one client per monitor socket, so the whole application shares one connection per monitor;
 * closing this bean on shutdown drops the connections, the QEMUs keep running.
 */
@Component
public class Monitors implements AutoCloseable {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final Hosts hosts;
    private final QmpConnectionPool pool;

    @Autowired
    public Monitors(Hosts hosts) {
        this(hosts, CONNECT_TIMEOUT);
    }

    public Monitors(Hosts hosts, Duration connectTimeout) {
        this.hosts = hosts;
        this.pool = new QmpConnectionPool(connectTimeout);
    }

    /** The application's monitor of that QEMU ({@link QemuInstance#qmpSocket()}), connecting if needed. */
    public QmpClient get(QemuInstance q) throws QmpException {
        HostConnection host = hosts.connection(q.host());
        return pool.get(host.host().name(), q.qmpSocket(), () -> host.openMonitor(q.qmpSocket()));
    }

    /** Closes the connection to that QEMU's monitor, if any: the QEMU has gone or is going. */
    public void forget(QemuInstance q) {
        pool.evict(q.host().name(), q.qmpSocket());
    }

    /** Closes every monitor connection; the QEMUs keep running. */
    @Override
    public void close() {
        pool.close();
    }
}
