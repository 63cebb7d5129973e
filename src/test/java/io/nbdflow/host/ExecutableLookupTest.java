package io.nbdflow.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ExecutableLookupTest {

    @TempDir
    Path dir;

    @Test
    void findsTheFirstExecutableOnPathLikeAShell() throws IOException {
        Path first = Files.createDirectories(dir.resolve("first"));
        Path second = Files.createDirectories(dir.resolve("second"));
        file(first.resolve("tool"), "rw-r--r--");          // not executable: skipped
        Files.createDirectories(first.resolve("other"));    // a directory: skipped
        Path tool = file(second.resolve("tool"), "rwxr-xr-x");
        file(second.resolve("other"), "rwxr-xr-x");

        String path = dir.resolve("missing") + ":" + first + ":" + second;
        assertThat(ExecutableLookup.find("tool", path)).contains(tool);
        assertThat(ExecutableLookup.find("other", path)).contains(second.resolve("other"));
        assertThat(ExecutableLookup.find("nope", path)).isEmpty();
        assertThat(ExecutableLookup.find("tool", "")).isEmpty();
        assertThat(ExecutableLookup.find("tool", null)).isEmpty();
    }

    @Test
    void aNameWithASlashIsAPathAndPathIsNotSearched() throws IOException {
        Path tool = file(dir.resolve("tool"), "rwxr-xr-x");
        Path plain = file(dir.resolve("plain"), "rw-r--r--");
        assertThat(ExecutableLookup.find(tool.toString(), "/usr/bin")).contains(tool);
        assertThat(ExecutableLookup.find(plain.toString(), "/usr/bin")).isEmpty();
        assertThat(ExecutableLookup.find(dir.resolve("gone").toString(), dir.toString())).isEmpty();
    }

    @Test
    void findsTheInstalledQemuPrograms() {
        for (String program : new String[] {"qemu-system-x86_64", "qemu-img", "qemu-io"}) {
            assertThat(ExecutableLookup.find(program)).as(program + " on PATH").isPresent();
        }
    }

    private static Path file(Path p, String permissions) throws IOException {
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(permissions));
        return p;
    }
}
