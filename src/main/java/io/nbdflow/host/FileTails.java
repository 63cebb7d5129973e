package io.nbdflow.host;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@link HostConnection#readTail} with nothing but the host's programs: {@code stat} for the
 * length, {@code od} for the bytes as hexadecimal text (a program's output arrives as text, and
 * hexadecimal survives that whatever the bytes are). Each argument is its own list element: the
 * path is never read by a shell.
 */
final class FileTails {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private FileTails() {
    }

    static Optional<FileTail> throughCommands(HostConnection host, Path file, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + " < 0");
        }
        if (!host.isRegularFile(file)) {
            return Optional.empty();
        }
        CommandResult stat = host.run(List.of("stat", "-L", "-c", "%s", "--", file.toString()), TIMEOUT);
        if (!stat.ok()) {
            if (!host.isRegularFile(file)) {
                return Optional.empty(); // removed meanwhile
            }
            throw new StorageException("cannot read the length of " + file + " on " + host.host().name() + ": "
                    + stat.stderr().strip());
        }
        long size;
        try {
            size = Long.parseLong(stat.stdout().strip());
        } catch (NumberFormatException e) {
            throw new StorageException("stat answered '" + stat.stdout().strip() + "' for the length of " + file
                    + " on " + host.host().name());
        }
        long skip = Math.max(0, size - maxBytes);
        CommandResult dump = host.run(List.of("od", "-A", "n", "-v", "-t", "x1", "-j", Long.toString(skip),
                "-N", Long.toString(maxBytes), "--", file.toString()), TIMEOUT);
        if (!dump.ok()) {
            throw new StorageException("cannot read " + file + " on " + host.host().name() + ": "
                    + dump.stderr().strip());
        }
        byte[] bytes = hex(dump.stdout());
        // the file may have grown since stat: what od read ends where the file then ended
        return Optional.of(new FileTail(skip + bytes.length, bytes));
    }

    /** od's "-A n -t x1" output: two hexadecimal digits per byte, separated by blanks and newlines. */
    static byte[] hex(String dump) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(dump.length() / 3 + 1);
        int digits = 0;
        int value = 0;
        for (int i = 0; i < dump.length(); i++) {
            int d = Character.digit(dump.charAt(i), 16);
            if (d < 0) {
                if (digits != 0) {
                    throw new StorageException("od wrote an odd number of hexadecimal digits");
                }
                continue;
            }
            value = value << 4 | d;
            if (++digits == 2) {
                out.write(value);
                digits = 0;
                value = 0;
            }
        }
        if (digits != 0) {
            throw new StorageException("od wrote an odd number of hexadecimal digits");
        }
        return out.toByteArray();
    }
}
