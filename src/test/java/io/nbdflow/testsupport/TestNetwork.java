package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Hosts that are other machines, on this one: a Linux bridge on a private subnet and one network
 * namespace per host joined to it, each running its own sshd with its own host key. Each host's
 * data folder ({@link TestHost#dataDir()}, a tmpfs) exists only in that host's private mount
 * namespace, so nothing but SSH reaches it; tests look at it from outside only through
 * {@link TestHost#outside(Path)}.
 * <p>
 * One network per JVM ({@link #shared()}), torn down when the JVM exits and, should a killed run
 * have left one behind, when the next run starts. Several runs on one machine at the same time
 * keep apart with {@code -Dnbdflow.test.net=K} (0-99): subnet 10.213.K.0/24, bridge {@code nbdbrK},
 * namespaces {@code nbdK-NAME}. The bridge has no route anywhere: nothing leaves it.
 */
public final class TestNetwork implements AutoCloseable {

    /** Key types a client key and a host key may have. */
    public static final List<String> KEY_TYPES = List.of("ed25519", "rsa", "ecdsa");
    /** The hosts every network has, in address order (.2, .3, .4). */
    public static final List<String> HOST_NAMES = List.of("a", "b", "c");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private static TestNetwork shared;

    private final int k;
    private final Path dir;
    private final String bridge;
    private final Map<String, TestHost> hosts = new LinkedHashMap<>();

    /** The JVM's network, started on first use. */
    public static synchronized TestNetwork shared() {
        if (shared == null) {
            TestNetwork network = start(Integer.getInteger("nbdflow.test.net", 0));
            Runtime.getRuntime().addShutdownHook(new Thread(network::close, "test-network-teardown"));
            shared = network;
        }
        return shared;
    }

    /** A network of its own with that K; the caller closes it. */
    static TestNetwork start(int k) {
        TestNetwork network = new TestNetwork(k);
        try {
            network.start();
        } catch (RuntimeException | Error e) {
            network.close();
            throw e;
        }
        return network;
    }

    /** The K of this network (its subnet is 10.213.K.0/24). */
    public int k() {
        return k;
    }

    private TestNetwork(int k) {
        if (k < 0 || k > 99) {
            throw new IllegalArgumentException("nbdflow.test.net must be 0-99, not " + k);
        }
        this.k = k;
        this.dir = Path.of("/tmp/nbdnet" + k);
        this.bridge = "nbdbr" + k;
    }

    public TestHost host(String name) {
        TestHost h = hosts.get(name);
        if (h == null) {
            throw new IllegalArgumentException("no test host '" + name + "', only " + hosts.keySet());
        }
        return h;
    }

    public List<TestHost> hosts() {
        return List.copyOf(hosts.values());
    }

    /** A private key of that type (ed25519, rsa, ecdsa) on this machine, authorized on every host. */
    public Path clientKey(String type) {
        requireType(type);
        return dir.resolve("client_" + type);
    }

    /** A known_hosts file listing every host's current key, by address. */
    public Path knownHosts() {
        return dir.resolve("known_hosts");
    }

    /** The address this machine has on the bridge. */
    public InetAddress gateway() {
        return address(1);
    }

    /**
     * The Spring properties that make {@code nbdflow.hosts[index]} the test host {@code host}, named
     * {@code name}, reached over SSH with the ed25519 client key, with those folders on the host.
     */
    public Map<String, String> hostProperties(int index, String name, TestHost host, Path stateDir, Path storageDir) {
        String p = "nbdflow.hosts[" + index + "].";
        Map<String, String> m = new LinkedHashMap<>();
        m.put(p + "name", name);
        m.put(p + "address", host.address().getHostAddress());
        m.put(p + "state-dir", stateDir.toString());
        m.put(p + "storage-dir", storageDir.toString());
        m.put(p + "ssh.identity-file", clientKey("ed25519").toString());
        m.put(p + "ssh.known-hosts", knownHosts().toString());
        return m;
    }

    private void start() {
        tearDownLeftovers();
        try {
            Files.createDirectories(dir);
            for (String type : KEY_TYPES) {
                keygen(type, clientKey(type), "nbdflow-test-client");
            }
            StringBuilder authorized = new StringBuilder();
            for (String type : KEY_TYPES) {
                authorized.append(Files.readString(Path.of(clientKey(type) + ".pub")));
            }
            Files.writeString(dir.resolve("authorized_keys"), authorized.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Sh.run("ip", "link", "add", bridge, "type", "bridge");
        Sh.run("ip", "addr", "add", gateway().getHostAddress() + "/24", "dev", bridge);
        Sh.run("ip", "link", "set", bridge, "up");
        for (int i = 0; i < HOST_NAMES.size(); i++) {
            String name = HOST_NAMES.get(i);
            TestHost host = new TestHost(this, name, "nbd" + k + "-" + name, "nv" + k + name, address(2 + i),
                    dir.resolve("host-" + name));
            hosts.put(name, host);
            host.create();
        }
        writeKnownHosts();
    }

    /** Rewrites known_hosts from every host's current key. */
    void writeKnownHosts() {
        StringBuilder lines = new StringBuilder();
        for (TestHost h : hosts.values()) {
            lines.append(h.address().getHostAddress()).append(' ').append(h.publicKeyLine()).append('\n');
        }
        try {
            Files.writeString(knownHosts(), lines.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    /** The bridge joining the hosts: where their traffic can be captured from this machine. */
    public String bridge() {
        return bridge;
    }

    Duration startTimeout() {
        return START_TIMEOUT;
    }

    @Override
    public synchronized void close() {
        for (TestHost h : hosts.values()) {
            h.destroy();
        }
        hosts.clear();
        tearDownLeftovers();
    }

    /** Whatever an earlier run with the same K left: its namespaces' processes, namespaces, bridge. */
    private void tearDownLeftovers() {
        for (String name : HOST_NAMES) {
            String ns = "nbd" + k + "-" + name;
            if (Sh.quiet("ip", "netns", "pids", ns).ok()) {
                killAll(ns);
                Sh.quiet("ip", "netns", "del", ns);
            }
            Sh.quiet("ip", "link", "del", "nv" + k + name);
        }
        Sh.quiet("ip", "link", "del", bridge);
        Sh.quiet("rm", "-rf", dir.toString());
    }

    /** SIGKILL to every process in that namespace, waiting until none is left. */
    static void killAll(String ns) {
        for (int round = 0; round < 50; round++) {
            List<Long> pids = pids(ns);
            if (pids.isEmpty()) {
                return;
            }
            pids.forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
            sleep(100);
        }
        throw new IllegalStateException("processes of namespace " + ns + " survive SIGKILL: " + pids(ns));
    }

    static List<Long> pids(String ns) {
        Sh.Result r = Sh.quiet("ip", "netns", "pids", ns);
        List<Long> pids = new ArrayList<>();
        if (r.ok()) {
            r.out().lines().map(String::trim).filter(l -> !l.isEmpty()).forEach(l -> pids.add(Long.parseLong(l)));
        }
        // a zombie waits for its parent, it runs nothing
        pids.removeIf(p -> readOrEmpty(Path.of("/proc/" + p + "/stat")).matches("^\\d+ \\(.*\\) Z .*"));
        return pids;
    }

    static String readOrEmpty(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    static void keygen(String type, Path file, String comment) {
        Sh.quiet("rm", "-f", file.toString(), file + ".pub");
        Sh.run("ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment, "-f", file.toString());
    }

    private InetAddress address(int last) {
        try {
            return InetAddress.getByName("10.213." + k + "." + last);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void requireType(String type) {
        if (!KEY_TYPES.contains(type)) {
            throw new IllegalArgumentException("key type must be one of " + KEY_TYPES + ", not " + type);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static boolean listening(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Programs of this machine, run as argument lists (no shell). */
    public static final class Sh {
        private Sh() {
        }

        /** How a program ended and what it wrote. */
        public record Result(int exit, String out, String err) {
            public boolean ok() {
                return exit == 0;
            }
        }

        /** Runs it; fails with its output unless it exits 0. */
        static Result run(String... argv) {
            Result r = quiet(argv);
            if (!r.ok()) {
                throw new IllegalStateException(String.join(" ", argv) + " exited " + r.exit() + ": " + r.err()
                        + r.out());
            }
            return r;
        }

        /** Runs it, whatever the outcome. */
        static Result quiet(String... argv) {
            try {
                Path out = Files.createTempFile("nbdnet", ".out");
                Path err = Files.createTempFile("nbdnet", ".err");
                try {
                    Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new IllegalStateException(String.join(" ", argv) + " did not end within 60 s");
                    }
                    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
                } finally {
                    Files.deleteIfExists(out);
                    Files.deleteIfExists(err);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
