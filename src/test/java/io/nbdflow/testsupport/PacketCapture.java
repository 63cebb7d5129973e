package io.nbdflow.testsupport;

import io.nbdflow.host.ExternalCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * tcpdump writing every packet a filter selects on one interface to a file, for a test that
 * looks for clear text in what crossed the network. {@code --immediate-mode}: otherwise the last
 * packets may never reach the file. Stopped by its pid ({@link #close}), whatever happened.
 */
public final class PacketCapture implements AutoCloseable {
    private final Process tcpdump;
    private final Path file;
    private final Path log;

    private PacketCapture(Process tcpdump, Path file, Path log) {
        this.tcpdump = tcpdump;
        this.file = file;
        this.log = log;
    }

    /** What tcpdump said (once closed: how many packets it captured, and dropped), for failure messages. */
    public String log() {
        try {
            return Files.readString(log).strip();
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Starts capturing on that interface what the filter selects (tcpdump syntax) into file; returns once it listens. */
    public static PacketCapture start(String iface, String filter, Path file) throws IOException, InterruptedException {
        Files.createDirectories(file.getParent());
        Path log = file.resolveSibling(file.getFileName() + ".log");
        // a large buffer (-B, KiB): a migration on loopback comes in bursts faster than tcpdump writes
        Process p = new ProcessBuilder("tcpdump", "-i", iface, "-s", "0", "-n", "-U", "--immediate-mode", "-B", "131072",
                "-w", file.toString(), filter).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PacketCapture capture = new PacketCapture(p, file, log);
        try {
            Wait.until("tcpdump listening on " + iface, Duration.ofSeconds(20),
                    () -> Files.exists(log) && Files.readString(log).contains("listening on"));
        } catch (RuntimeException | AssertionError | InterruptedException e) {
            capture.close();
            throw e;
        }
        return capture;
    }

    /** Stops tcpdump (SIGTERM: it writes out what it holds) and waits for it; the file is then complete. */
    @Override
    public void close() throws InterruptedException {
        if (tcpdump.isAlive()) {
            tcpdump.destroy();
            if (!tcpdump.waitFor(10, TimeUnit.SECONDS)) {
                tcpdump.destroyForcibly();
                tcpdump.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The whole capture file (packets with their headers), as bytes. */
    public byte[] all() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The captured packets to or from that TCP port only (tcpdump reads the capture again through a filter). */
    public byte[] port(int port) {
        Path out = file.resolveSibling(file.getFileName() + "." + port);
        ExternalCommand.Result r = ExternalCommand.run(List.of("tcpdump", "-r", file.toString(), "-w", out.toString(),
                "tcp port " + port), Duration.ofMinutes(1));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("tcpdump -r failed: " + r.stderr());
        }
        try {
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many times the text occurs in those bytes. */
    public static int count(byte[] bytes, String text) {
        byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
        int found = 0;
        outer:
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            found++;
        }
        return found;
    }
}
