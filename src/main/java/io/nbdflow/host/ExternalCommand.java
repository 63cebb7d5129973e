package io.nbdflow.host;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program on this machine with an argument list (never through a shell) and collects its
 * output. The application reaches a host's programs through {@link HostConnection#run}; tests use
 * this class directly as the harness of this machine.
 */
public final class ExternalCommand {

    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private ExternalCommand() {
    }

    /** Runs the command to its end; a command that outlives the timeout is killed (UncheckedIOException). */
    public static Result run(List<String> command, Duration timeout) {
        return run(command, null, timeout);
    }

    /** {@link #run(List, Duration)} with that text (UTF-8) as the program's standard input; null: none. */
    public static Result run(List<String> command, String input, Duration timeout) {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            if (input == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        if (input != null) {
            feed(p.getOutputStream(), input);
        }
        // both streams drained at once, so a chatty program never blocks on a full pipe
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new UncheckedIOException(new IOException(
                        String.join(" ", command) + " did not finish within " + timeout));
            }
            return new Result(p.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        } catch (ExecutionException e) {
            throw new UncheckedIOException(new IOException("cannot read the output of " + command.get(0), e.getCause()));
        }
    }

    /** Writes the input on its own thread and closes it: a program may answer before it has read all. */
    private static void feed(OutputStream in, String input) {
        Thread t = new Thread(() -> {
            try (in) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the program exited without reading it all; its exit status and output tell the rest
            }
        }, "feed-" + in.hashCode());
        t.setDaemon(true);
        t.start();
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                result.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        }, "drain-" + in.hashCode());
        t.setDaemon(true);
        t.start();
        return result;
    }
}
