package io.nbdflow.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Port probes for tests, e.g. that an NBD server listens, or no longer does. */
public final class Ports {

    private Ports() {
    }

    /** The ports of the configured range on which something accepts connections on that host's address. */
    public static java.util.List<Integer> listeningInRange(io.nbdflow.host.Host host, io.nbdflow.config.PortRange range) {
        java.util.List<Integer> open = new java.util.ArrayList<>();
        for (int port = range.first(); port <= range.last(); port++) {
            if (isListening(host.address(), port)) {
                open.add(port);
            }
        }
        return open;
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
