package io.nbdflow.host;

import io.nbdflow.config.NbdflowProperties;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/** Disk images through qemu-img: inspect, create without ever overwriting, delete. */
@Component
public class Storage {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String qemuImg;

    @Autowired
    public Storage(NbdflowProperties properties) {
        this(properties.qemuImgBinary());
    }

    public Storage(String qemuImgBinary) {
        this.qemuImg = qemuImgBinary;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** qemu-img info; -U (no lock) so that it also works on an image a running QEMU holds. */
    public ImageInfo info(Path file) {
        ExternalCommand.Result r = run(List.of(qemuImg, "info", "--output=json", "-U", file.toString()));
        if (!r.ok()) {
            throw new StorageException("qemu-img info " + file + " failed: " + r.stderr().strip());
        }
        try {
            JsonNode n = JSON.readTree(r.stdout());
            return new ImageInfo(n.path("format").asText(), n.path("virtual-size").asLong(),
                    n.path("actual-size").asLong(), text(n, "backing-filename"), text(n, "full-backing-filename"),
                    text(n, "backing-filename-format"));
        } catch (IOException e) {
            throw new StorageException("cannot read qemu-img info output for " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates a new image and never touches an existing file: the file is created atomically
     * first (FileAlreadyExistsException if it exists, the file left as it was), then formatted by
     * qemu-img. If qemu-img fails, the file created here is deleted again.
     */
    public void createExclusive(Path file, String format, long virtualSize, String backingFile,
                                String backingFormat) throws FileAlreadyExistsException {
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageException("cannot create " + file + ": " + e, e);
        }
        List<String> cmd = new ArrayList<>(List.of(qemuImg, "create", "-q", "-f", format));
        if (backingFile != null) {
            cmd.addAll(List.of("-b", backingFile));
        }
        if (backingFormat != null) {
            cmd.addAll(List.of("-F", backingFormat));
        }
        cmd.addAll(List.of(file.toString(), Long.toString(virtualSize)));
        ExternalCommand.Result r;
        try {
            r = run(cmd);
        } catch (RuntimeException e) {
            deleteIfExists(file);
            throw e;
        }
        if (!r.ok()) {
            deleteIfExists(file);
            throw new StorageException("qemu-img create " + file + " failed: " + r.stderr().strip());
        }
    }

    /** Deletes the file; false if there was none. */
    public boolean deleteIfExists(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new StorageException("cannot delete " + file + ": " + e, e);
        }
    }

    private static ExternalCommand.Result run(List<String> cmd) {
        try {
            return ExternalCommand.run(cmd, TIMEOUT);
        } catch (UncheckedIOException e) {
            throw new StorageException(e.getMessage(), e);
        }
    }
}
