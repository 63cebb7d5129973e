package io.nbdflow.qmp;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.file.Path;

/**
 * How a {@link QmpClient} reaches a monitor: each call opens a new byte stream to it. On this
 * machine that is a UNIX socket ({@link #unixSocket}); a monitor elsewhere needs only another way
 * to carry the same bytes.
 */
@FunctionalInterface
public interface QmpTransport {

    /**
     * Opens a stream to the monitor. Fails with IOException while nobody accepts yet (the client
     * retries until its connect timeout). Closing the returned channel must end a read blocked on it.
     */
    ByteChannel open() throws IOException;

    /** The monitor at that UNIX socket of this machine. */
    static QmpTransport unixSocket(Path socket) {
        return new UnixSocketTransport(socket);
    }
}
