package io.nbdflow.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import static org.assertj.core.api.Assertions.assertThat;

class QemuHealthIndicatorTest {

    @TempDir
    Path bin;

    @Test
    void upWithWhereEachProgramWasFound() throws IOException {
        Path qemu = executable("qemu-system-x86_64");
        Path img = executable("qemu-img");
        Path io = executable("qemu-io");
        Health health = new QemuHealthIndicator(binaries("qemu-system-x86_64", "qemu-img", io.toString()),
                bin.toString()).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("qemu-binary", qemu.toString())
                .containsEntry("qemu-img-binary", img.toString())
                .containsEntry("qemu-io-binary", io.toString())
                .doesNotContainKey("missing");
    }

    @Test
    void downNamingEachMissingProgram() throws IOException {
        Path img = executable("qemu-img");
        Health health = new QemuHealthIndicator(binaries("qemu-system-x86_64", "qemu-img", "/opt/none/qemu-io"),
                bin.toString()).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).containsEntry("qemu-img-binary", img.toString());
        assertThat(health.getDetails().get("missing")).isEqualTo(List.of(
                "nbdflow.qemu-binary: 'qemu-system-x86_64' is not on PATH",
                "nbdflow.qemu-io-binary: '/opt/none/qemu-io' is not an executable file"));
    }

    private static Map<String, String> binaries(String qemu, String img, String io) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("qemu-binary", qemu);
        m.put("qemu-img-binary", img);
        m.put("qemu-io-binary", io);
        return m;
    }

    private Path executable(String name) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }
}
