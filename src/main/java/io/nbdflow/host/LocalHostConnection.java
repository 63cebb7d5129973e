package io.nbdflow.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A host that is this machine: its programs run here, its files are this machine's files. */
public final class LocalHostConnection implements HostConnection {

    private final Host host;

    public LocalHostConnection(Host host) {
        this.host = host;
    }

    @Override
    public Host host() {
        return host;
    }

    @Override
    public CommandResult run(List<String> command, Duration timeout) {
        try {
            ExternalCommand.Result r = ExternalCommand.run(command, timeout);
            return new CommandResult(r.exitCode(), r.stdout(), r.stderr());
        } catch (UncheckedIOException e) {
            throw new StorageException(e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public boolean isRegularFile(Path path) {
        return Files.isRegularFile(path);
    }

    @Override
    public void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StorageException("cannot create " + dir + " on " + host.name() + ": " + e, e);
        }
    }

    @Override
    public void createNewFile(Path file) throws FileAlreadyExistsException {
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageException("cannot create " + file + " on " + host.name() + ": " + e, e);
        }
    }

    @Override
    public boolean deleteIfExists(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new StorageException("cannot delete " + file + " on " + host.name() + ": " + e, e);
        }
    }

    @Override
    public Optional<String> readString(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("cannot read " + file + " on " + host.name() + ": " + e, e);
        }
    }

    @Override
    public void append(Path file, String text) {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            out.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        } catch (IOException e) {
            throw new StorageException("cannot write " + file + " on " + host.name() + ": " + e, e);
        }
    }
}
