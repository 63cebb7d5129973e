package io.nbdflow.host.ssh;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.jcraft.jsch.ChannelDirectStreamLocal;
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.HostKeyRepository;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;

import io.nbdflow.host.SshTarget;
import io.nbdflow.host.HostKeyRefusedException;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.StorageException;

/**
 * The one SSH connection to one host, shared by every command and monitor on it. It connects on
 * first use and again whenever it finds the connection gone, reading the known-hosts file anew
 * each time (an operator's edit takes effect at the next connection). A cut link is noticed by
 * keepalives within about 15 s: the calls in flight then fail, the next one reconnects.
 */
final class SshSession implements AutoCloseable {

    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int ALIVE_INTERVAL_MS = 5_000;
    private static final int ALIVE_COUNT_MAX = 3;
    /**
     * Channels open at once on one connection. sshd refuses channels beyond its MaxSessions (10
     * by default) per connection: commands wait for a free one, and a connection carrying
     * monitors (held open as long as their QEMU runs) takes no more than this many.
     */
    static final int MAX_CHANNELS = 8;

    private final String hostName;
    private final SshTarget target;
    private final Semaphore commandSlots = new Semaphore(MAX_CHANNELS, true);
    private final AtomicInteger openMonitors = new AtomicInteger();
    private final AtomicLong commandsRun = new AtomicLong();
    private Session session;
    private boolean closed;
    private volatile String fingerprint;

    SshSession(String hostName, SshTarget target) {
        this.hostName = hostName;
        this.target = target;
    }

    /** How a command run over an exec channel ended. */
    record Outcome(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {
        String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        String stderrText() {
            return new String(stderr, StandardCharsets.UTF_8);
        }
    }

    /** How many exec channels this connection has opened: what a call costs in round trips. */
    long commandsRun() {
        return commandsRun.get();
    }

    /** The fingerprint of the host key verified at the last connection; empty before any. */
    Optional<String> fingerprint() {
        return Optional.ofNullable(fingerprint);
    }

    String describe() {
        return "host '" + hostName + "' (" + target.user() + "@" + address() + ")";
    }

    private String address() {
        String h = target.host().contains(":") ? "[" + target.host() + "]" : target.host();
        return h + ":" + target.port();
    }

    /**
     * Runs a line of the host's shell over its own exec channel, with that standard input (null:
     * none is sent and the script must not read it). Past the timeout the channel is closed and
     * the outcome says so; the script itself must bound what it starts (the caller wraps long
     * programs in {@code timeout}).
     */
    Outcome exec(String script, byte[] input, Duration timeout) {
        try {
            commandSlots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while waiting to run a command on " + describe(), e);
        }
        ChannelExec channel = null;
        try {
            Session s = session();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            try {
                channel = (ChannelExec) s.openChannel("exec");
                commandsRun.incrementAndGet();
                channel.setCommand(script.getBytes(StandardCharsets.UTF_8));
                channel.setOutputStream(out);
                channel.setErrStream(err);
                if (input != null) {
                    channel.setInputStream(new ByteArrayInputStream(input));
                }
                channel.connect(CONNECT_TIMEOUT_MS);
            } catch (JSchException e) {
                throw lost("cannot run a command on", s, e);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            long pause = 1;
            while (!channel.isClosed()) {
                if (System.nanoTime() - deadline > 0) {
                    return new Outcome(-1, out.toByteArray(), err.toByteArray(), true);
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StorageException("interrupted while running a command on " + describe(), e);
                }
                pause = Math.min(pause * 2, 20);
            }
            int status = channel.getExitStatus();
            if (status < 0) {
                if (s.isConnected()) {
                    throw new StorageException("a command on " + describe() + " ended without an exit status");
                }
                throw new HostUnreachableException("the connection to " + describe() + " was lost while a command ran",
                        null);
            }
            return new Outcome(status, out.toByteArray(), err.toByteArray(), false);
        } finally {
            if (channel != null) {
                channel.disconnect();
            }
            commandSlots.release();
        }
    }

    /**
     * Takes one of this connection's places for a monitor; false if all are taken. A place taken
     * is given back when {@link #openStreamLocal} fails or the stream it returned is closed.
     */
    boolean reserveMonitor() {
        return openMonitors.getAndUpdate(n -> n < MAX_CHANNELS ? n + 1 : n) < MAX_CHANNELS;
    }

    /**
     * A byte stream to that UNIX socket of the host, in a place taken by {@link #reserveMonitor};
     * IOException if nobody listens there.
     */
    ByteChannel openStreamLocal(Path socket) throws IOException {
        MonitorChannel stream = null;
        try {
            Session s = session();
            ChannelDirectStreamLocal channel = (ChannelDirectStreamLocal) s.openChannel("direct-streamlocal@openssh.com");
            channel.setSocketPath(socket.toString());
            stream = new MonitorChannel(channel, openMonitors::decrementAndGet);
            channel.connect(CONNECT_TIMEOUT_MS);
            stream.opened();
            return stream;
        } catch (JSchException | IOException | StorageException e) {
            if (stream != null) {
                stream.close();
            } else {
                openMonitors.decrementAndGet();
            }
            throw new IOException("cannot reach " + socket + " on " + describe() + ": " + e.getMessage(), e);
        }
    }

    /** The connected session, connecting (again) if there is none or it dropped. */
    private synchronized Session session() {
        if (closed) {
            throw new StorageException("the connection to " + describe() + " is closed");
        }
        if (session != null && session.isConnected()) {
            return session;
        }
        if (session != null) {
            session.disconnect();
            session = null;
        }
        session = connect();
        return session;
    }

    private Session connect() {
        JSch jsch = new JSch();
        VerifyingHostKeys keys;
        Session s;
        try {
            jsch.setKnownHosts(target.knownHosts().toString());
            keys = new VerifyingHostKeys(jsch.getHostKeyRepository());
        } catch (JSchException e) {
            throw new StorageException("cannot read the known-hosts file " + target.knownHosts() + " for "
                    + describe() + ": " + e.getMessage(), e);
        }
        try {
            jsch.addIdentity(target.identityFile().toString());
        } catch (JSchException e) {
            throw new StorageException("cannot load the identity file " + target.identityFile() + " for "
                    + describe() + ": " + e.getMessage(), e);
        }
        try {
            s = jsch.getSession(target.user(), target.host(), target.port());
        } catch (JSchException e) {
            throw new HostUnreachableException("cannot connect to " + describe() + ": " + e.getMessage(), e);
        }
        s.setHostKeyRepository(keys);
        s.setConfig("StrictHostKeyChecking", "yes");
        s.setConfig("PreferredAuthentications", "publickey");
        s.setConfig("server_host_key", preferListed(keys.listedAlgorithms(knownHostsName()),
                JSch.getConfig("server_host_key")));
        s.setServerAliveCountMax(ALIVE_COUNT_MAX);
        try {
            s.setServerAliveInterval(ALIVE_INTERVAL_MS);
            s.connect(CONNECT_TIMEOUT_MS);
        } catch (JSchException e) {
            s.disconnect();
            byte[] offered = keys.offeredKey();
            if (offered != null && keys.verdict() != HostKeyRepository.OK) {
                // not a host that is away: one that must not be trusted until a person looks
                throw new HostKeyRefusedException(refusal(keys.verdict(), offered), e);
            }
            throw new HostUnreachableException("cannot connect to " + describe() + ": " + e.getMessage(), e);
        }
        fingerprint = HostKeyFingerprint.of(keys.offeredKey());
        return s;
    }

    /** The name JSch looks the host up by in known_hosts. */
    private String knownHostsName() {
        return target.port() == 22 ? target.host() : "[" + target.host() + "]:" + target.port();
    }

    /**
     * The host key algorithms JSch offers, those the known-hosts file lists for this host first:
     * a host with several keys then shows the one the file knows. The others stay in the list, so
     * a host that no longer has that key still shows one and is refused with its fingerprint.
     */
    static String preferListed(List<String> listed, String defaults) {
        List<String> all = Arrays.asList(defaults.split(","));
        List<String> ordered = new ArrayList<>(listed.stream().filter(all::contains).toList());
        all.stream().filter(a -> !ordered.contains(a)).forEach(ordered::add);
        return String.join(",", ordered);
    }

    private String refusal(int verdict, byte[] offered) {
        String what = verdict == HostKeyRepository.CHANGED
                ? "its host key has changed (the known-hosts file " + target.knownHosts() + " lists another)"
                : "its host key is unknown (not in the known-hosts file " + target.knownHosts() + ")";
        return "refusing to connect to " + describe() + ": " + what + "; it offered "
                + HostKeyFingerprint.typeOf(offered) + " " + HostKeyFingerprint.of(offered);
    }

    private StorageException lost(String doing, Session s, JSchException e) {
        if (!s.isConnected()) {
            return new HostUnreachableException("the connection to " + describe() + " was lost: " + doing + " it: "
                    + e.getMessage(), e);
        }
        // a refused channel (sshd's MaxSessions below MAX_CHANNELS) or a link that went silent
        // and is not yet given up by the keepalives: the host does not answer either way
        return new HostUnreachableException(doing + " " + describe() + ": " + e.getMessage(), e);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (session != null) {
            session.disconnect();
            session = null;
        }
    }
}
