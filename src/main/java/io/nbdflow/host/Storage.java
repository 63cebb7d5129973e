package io.nbdflow.host;

import io.nbdflow.config.NbdflowProperties;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Disk images of a host through qemu-img, run by the host's connection: inspect, create without
 * ever overwriting, delete. Paths are paths on that host.
 */
@Component
public class Storage {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String qemuImg;
    private final Hosts hosts;

    @Autowired
    public Storage(NbdflowProperties properties, Hosts hosts) {
        this(properties.qemuImgBinary(), hosts);
    }

    public Storage(String qemuImgBinary, Hosts hosts) {
        this.qemuImg = qemuImgBinary;
        this.hosts = hosts;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** qemu-img info; -U (no lock) so that it also works on an image a running QEMU holds. */
    public ImageInfo info(Host host, Path file) {
        CommandResult r = hosts.connection(host).run(List.of(qemuImg, "info", "--output=json", "-U", file.toString()),
                TIMEOUT);
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
     * The bytes a full qcow2 copy of that qcow2 image (its whole backing chain flattened) needs:
     * {@code qemu-img measure}'s "required". The image is opened without taking its lock
     * ({@code file.locking=off}) since a running QEMU holds it; measure has no {@code -U}.
     */
    public long measureQcow2Copy(Host host, Path file) {
        String opts = "driver=qcow2,file.driver=file,file.filename=" + file.toString().replace(",", ",,")
                + ",file.locking=off";
        CommandResult r = hosts.connection(host).run(List.of(qemuImg, "measure", "--output=json", "-O", "qcow2",
                "--image-opts", opts), TIMEOUT);
        if (!r.ok()) {
            throw new StorageException("qemu-img measure " + file + " failed: " + r.stderr().strip());
        }
        try {
            return JSON.readTree(r.stdout()).path("required").asLong();
        } catch (IOException e) {
            throw new StorageException("cannot read qemu-img measure output for " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates a new image and never touches an existing file: the file is created atomically
     * first (FileAlreadyExistsException if it exists, the file left as it was), then formatted by
     * qemu-img. If qemu-img fails, the file created here is deleted again.
     */
    public void createExclusive(Host host, Path file, String format, long virtualSize, String backingFile,
                                String backingFormat) throws FileAlreadyExistsException {
        HostConnection connection = hosts.connection(host);
        connection.createNewFile(file);
        List<String> cmd = new ArrayList<>(List.of(qemuImg, "create", "-q", "-f", format));
        if (backingFile != null) {
            cmd.addAll(List.of("-b", backingFile));
        }
        if (backingFormat != null) {
            cmd.addAll(List.of("-F", backingFormat));
        }
        cmd.addAll(List.of(file.toString(), Long.toString(virtualSize)));
        CommandResult r;
        try {
            r = connection.run(cmd, TIMEOUT);
        } catch (RuntimeException e) {
            connection.deleteIfExists(file);
            throw e;
        }
        if (!r.ok()) {
            connection.deleteIfExists(file);
            throw new StorageException("qemu-img create " + file + " failed: " + r.stderr().strip());
        }
    }

    /** Deletes the file on that host; false if there was none. */
    public boolean deleteIfExists(Host host, Path file) {
        return hosts.connection(host).deleteIfExists(file);
    }
}
