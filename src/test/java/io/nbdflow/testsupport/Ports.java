package io.nbdflow.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Port probes for tests, e.g. that an NBD server listens, or no longer does. */
public final class Ports {

    private Ports() {
    }

    /** Whether something accepts TCP connections on address:port (500 ms timeout). */
    public static boolean isListening(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
