package io.nbdflow.testsupport;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.nbdflow.host.ExternalCommand;

/**
 * Disk images for tests, through the real qemu-img and qemu-io (from PATH):
 * <pre>
 * Path vda = TestImages.create(dir, "vda.qcow2", "qcow2", 32 * MiB);
 * TestImages.write(vda, "qcow2", 0x5a, 0, MiB);            // qemu-io "write -P 0x5a 0 1048576"
 * assertTrue(TestImages.verify(copy, "qcow2", 0x5a, 0, MiB));
 * assertTrue(TestImages.compare(vda, copy));                // qemu-img compare, once no QEMU holds them
 * </pre>
 * Failures of the tools themselves throw AssertionError with their output.
 */
public final class TestImages {

    public static final long MiB = 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private TestImages() {
    }

    /** Creates dir/name as an empty image of that format and virtual size. */
    public static Path create(Path dir, String name, String format, long size) {
        Path file = dir.resolve(name).toAbsolutePath();
        run(List.of("qemu-img", "create", "-q", "-f", format, file.toString(), Long.toString(size)));
        return file;
    }

    /** Creates dir/name as a qcow2 overlay on backing (same virtual size). */
    public static Path createOverlay(Path dir, String name, Path backing, String backingFormat) {
        Path file = dir.resolve(name).toAbsolutePath();
        run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", backing.toAbsolutePath().toString(),
                "-F", backingFormat, file.toString()));
        return file;
    }

    /** Fills [offset, offset+length) with the byte pattern. */
    public static void write(Path file, String format, int pattern, long offset, long length) {
        run(List.of("qemu-io", "-f", format, "-c", "write -P " + hex(pattern) + " " + offset + " " + length,
                file.toString()));
    }

    /** Whether [offset, offset+length) holds the byte pattern (read-only, lock-free). */
    public static boolean verify(Path file, String format, int pattern, long offset, long length) {
        ExternalCommand.Result r = ExternalCommand.run(List.of("qemu-io", "-r", "-U", "-f", format, "-c",
                "read -P " + hex(pattern) + " " + offset + " " + length, file.toString()), TIMEOUT);
        String output = r.stdout() + r.stderr();
        if (r.exitCode() != 0 || !output.contains("read ")) {
            throw new AssertionError("qemu-io read on " + file + " failed: " + output);
        }
        return !output.contains("Pattern verification failed");
    }

    /** qemu-img compare: true if both images show the same guest-visible content. */
    public static boolean compare(Path a, Path b) {
        // -U: a QEMU that nbdflow already counts as stopped may still be closing its files (and
        // holding its image lock) for a moment; the comparison is of what is on disk
        ExternalCommand.Result r = ExternalCommand.run(List.of("qemu-img", "compare", "-U", a.toString(),
                b.toString()), TIMEOUT);
        if (r.exitCode() > 1) {
            throw new AssertionError("qemu-img compare " + a + " " + b + " failed with exit code " + r.exitCode()
                    + ": " + r.stderr().strip() + r.stdout().strip());
        }
        return r.exitCode() == 0;
    }

    /** qemu-img compare's exit code: 0 identical, 1 different, 2+ error. */
    public static int compareExitCode(Path a, Path b) {
        return ExternalCommand.run(List.of("qemu-img", "compare", a.toString(), b.toString()), TIMEOUT).exitCode();
    }

    private static String hex(int pattern) {
        return String.format("0x%02x", pattern & 0xff);
    }

    private static void run(List<String> command) {
        ExternalCommand.Result r = ExternalCommand.run(new ArrayList<>(command), TIMEOUT);
        if (r.exitCode() != 0 || r.stdout().contains("failed") || r.stderr().contains("failed")) {
            throw new AssertionError(String.join(" ", command) + " failed (" + r.exitCode() + "): "
                    + r.stdout() + r.stderr());
        }
    }
}
