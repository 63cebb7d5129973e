package io.nbdflow.host;

import io.nbdflow.qmp.QmpTransport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A host that is this machine: its programs run here, its files are this machine's files. */
final class LocalHostConnection implements HostConnection {

    private final Host host;

    LocalHostConnection(Host host) {
        this.host = host;
    }

    @Override
    public Host host() {
        return host;
    }

    @Override
    public CommandResult run(List<String> command, Duration timeout) {
        return run(command, null, timeout);
    }

    @Override
    public CommandResult run(List<String> command, String input, Duration timeout) {
        try {
            ExternalCommand.Result r = ExternalCommand.run(command, input, timeout);
            return new CommandResult(r.exitCode(), r.stdout(), r.stderr());
        } catch (UncheckedIOException e) {
            throw new StorageException(e.getMessage(), e);
        }
    }

    @Override
    public OptionalInt runDaemonizing(List<String> command, Path log, Duration timeout) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return OptionalInt.empty();
            }
            return OptionalInt.of(p.exitValue());
        } catch (IOException e) {
            throw new StorageException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while running " + command.get(0), e);
        }
    }

    @Override
    public Optional<Path> findExecutable(String command) {
        return ExecutableLookup.find(command);
    }

    @Override
    public boolean isLiveQemu(long pid) {
        return isLiveLocalQemu(pid);
    }

    @Override
    public boolean hasExited(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')');
            char state = end >= 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : 'X';
            return state == 'Z' || state == 'X';
        } catch (IOException e) {
            return true; // no such process (or it vanished while we read it)
        }
    }

    /** {@link #isLiveQemu} of this machine, for callers that have no connection (test harnesses). */
    static boolean isLiveLocalQemu(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'
            int end = stat.lastIndexOf(')');
            char state = end >= 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : 'X';
            if (state == 'Z' || state == 'X') {
                return false;
            }
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).contains("qemu");
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            // the process vanished while we read it
            return false;
        }
    }

    /** {@link #readPid} of this machine, for callers that have no connection (test harnesses). */
    static OptionalLong readLocalPid(Path pidFile) {
        try {
            String text = Files.readString(pidFile).trim();
            return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
        } catch (NoSuchFileException | NumberFormatException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pidFile, e);
        }
    }

    @Override
    public Optional<List<String>> commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String text = new String(raw, StandardCharsets.UTF_8);
            if (text.endsWith("\0")) {
                text = text.substring(0, text.length() - 1);
            }
            return Optional.of(List.of(text.split("\0", -1)));
        } catch (IOException e) {
            return Optional.empty(); // no such process, or it vanished while we read it
        }
    }

    @Override
    public void terminate(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }

    @Override
    public void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
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
    public Optional<Path> realPath(Path path) {
        try {
            return Optional.of(path.toRealPath());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("cannot resolve " + path + " on " + host.name() + ": " + e, e);
        }
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
    public boolean deleteFileBelowHostFolders(Path file) {
        Path target = file.toAbsolutePath().normalize();
        requireBelowHostFolders(file, target);
        try {
            // a symbolic link among the parents would lead elsewhere: check where the file really is
            Path parent = target.getParent().toRealPath();
            requireBelowHostFolders(file, parent.resolve(target.getFileName()));
            return Files.deleteIfExists(parent.resolve(target.getFileName()));
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new StorageException("cannot delete " + file + " on " + host.name() + ": " + e, e);
        }
    }

    @Override
    public void deleteTree(Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        requireBelowHostFolders(target, target);
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            // a symbolic link among the parents would lead elsewhere: check where the folder really is
            requireBelowHostFolders(target, target.getParent().toRealPath().resolve(target.getFileName()));
            // the walk does not follow links: a link inside is removed, never what it points to
            try (Stream<Path> files = Files.walk(target)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile
        } catch (IOException e) {
            throw new StorageException("cannot delete " + dir + " on " + host.name() + ": " + e, e);
        }
    }

    private void requireBelowHostFolders(Path asGiven, Path where) {
        if (!below(where, host.stateDir()) && !below(where, host.storageDir())) {
            throw new IllegalArgumentException("refusing to delete " + asGiven + " on " + host.name()
                    + ": not below its state-dir " + host.stateDir() + " or storage-dir " + host.storageDir());
        }
    }

    private static boolean below(Path path, Path folder) {
        Path root = folder.toAbsolutePath().normalize();
        if (path.startsWith(root) && !path.equals(root)) {
            return true;
        }
        try {
            Path real = root.toRealPath();
            return path.startsWith(real) && !path.equals(real);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public List<String> list(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new StorageException("cannot list " + dir + " on " + host.name() + ": " + e, e);
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
    public Optional<FileTail> readTail(Path file, long maxBytes) {
        if (maxBytes < 0 || maxBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + " is not within 0.." + (Integer.MAX_VALUE - 8));
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            long start = Math.max(0, size - maxBytes);
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(maxBytes, size));
            while (buffer.hasRemaining() && in.read(buffer, start + buffer.position()) >= 0) {
                // a file that shrank meanwhile ends the loop with less
            }
            byte[] bytes = new byte[buffer.position()];
            buffer.flip().get(bytes);
            return Optional.of(new FileTail(start + bytes.length, bytes));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("cannot read " + file + " on " + host.name() + ": " + e, e);
        }
    }

    @Override
    public void writeString(Path file, String text) {
        try {
            Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StorageException("cannot write " + file + " on " + host.name() + ": " + e, e);
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

    @Override
    public long usableSpace(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            throw new StorageException("cannot measure the free space of " + dir + " on " + host.name() + ": "
                    + e, e);
        }
    }

    @Override
    public ByteChannel openMonitor(Path socket) throws IOException {
        return QmpTransport.unixSocket(socket).open();
    }

    @Override
    public String toString() {
        return "local host " + host.name();
    }
}
