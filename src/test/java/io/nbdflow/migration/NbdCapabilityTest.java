package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.testsupport.Wait;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NbdCapabilityTest {

    // What QEMU 7.2's query-commands lists among others.
    private static final Set<String> QEMU_7_2 = Set.of("nbd-server-start", "nbd-server-stop", "nbd-server-add",
            "block-export-add", "migrate-incoming", "drive-mirror", "blockdev-add", "blockdev-mirror", "blockdev-del",
            "block-job-cancel",
            "query-block-jobs", "migrate-continue", "migrate", "query-commands", "cont");

    @Test
    void modernQemuCanDoBoth() {
        assertThat(NbdCapability.canServeNbd(QEMU_7_2)).isTrue();
        assertThat(NbdCapability.canMirrorToNbd(QEMU_7_2)).isTrue();
        assertThat(NbdCapability.missingToServeNbd(QEMU_7_2)).isEmpty();
        assertThat(NbdCapability.missingToMirrorToNbd(QEMU_7_2)).isEmpty();
        assertThat(NbdCapability.exportCommand(QEMU_7_2)).isEqualTo("block-export-add");
    }

    @Test
    void eitherExportCommandWill() {
        Set<String> older = without("block-export-add");
        assertThat(NbdCapability.canServeNbd(older)).isTrue();
        assertThat(NbdCapability.exportCommand(older)).isEqualTo("nbd-server-add");

        Set<String> newer = without("nbd-server-add");
        assertThat(NbdCapability.canServeNbd(newer)).isTrue();
        assertThat(NbdCapability.exportCommand(newer)).isEqualTo("block-export-add");
    }

    @Test
    void missingCommandsAreNamed() {
        Set<String> noExport = without("block-export-add", "nbd-server-add", "migrate-incoming");
        assertThat(NbdCapability.canServeNbd(noExport)).isFalse();
        assertThat(NbdCapability.missingToServeNbd(noExport))
                .containsExactly("block-export-add or nbd-server-add", "migrate-incoming");

        Set<String> noMirror = without("blockdev-mirror", "migrate-continue");
        assertThat(NbdCapability.canMirrorToNbd(noMirror)).isFalse();
        assertThat(NbdCapability.missingToMirrorToNbd(noMirror)).containsExactly("blockdev-mirror", "migrate-continue");
        assertThat(NbdCapability.canServeNbd(noMirror)).isTrue();
    }

    @Test
    void nothingAtAll() {
        assertThat(NbdCapability.missingToServeNbd(List.of())).containsExactly("nbd-server-start",
                "nbd-server-stop", "block-export-add or nbd-server-add", "migrate-incoming");
        assertThat(NbdCapability.missingToMirrorToNbd(List.of())).containsExactly("blockdev-add",
                "blockdev-mirror", "blockdev-del", "block-job-cancel", "query-block-jobs", "migrate-continue");
    }

    private static Set<String> without(String... commands) {
        Set<String> set = new HashSet<>(QEMU_7_2);
        List.of(commands).forEach(set::remove);
        return set;
    }

    /** The probe judged on what the installed QEMU really answers to query-commands. */
    @Test
    void installedQemuCanDoBoth(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("qmp.sock");
        // -machine none: a monitor without a guest is all query-commands needs.
        Process qemu = new ProcessBuilder("qemu-system-x86_64", "-machine", "none", "-nodefaults",
                "-display", "none", "-no-user-config", "-qmp", "unix:" + socket + ",server=on,wait=off")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile())
                .start();
        try {
            Set<String> commands = queryCommands(socket, qemu);

            assertThat(commands).contains("query-commands", "drive-mirror");
            assertThat(NbdCapability.missingToServeNbd(commands)).isEmpty();
            assertThat(NbdCapability.missingToMirrorToNbd(commands)).isEmpty();
            assertThat(NbdCapability.canServeNbd(commands)).isTrue();
            assertThat(NbdCapability.canMirrorToNbd(commands)).isTrue();
            assertThat(NbdCapability.exportCommand(commands)).isEqualTo("block-export-add");
        } finally {
            qemu.destroyForcibly();
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A bare QMP exchange, so this test does not depend on the qmp package. */
    private static Set<String> queryCommands(Path socket, Process qemu) throws Exception {
        Wait.until("QMP socket " + socket, Duration.ofSeconds(20), () -> {
            if (Files.exists(socket)) {
                return true;
            }
            if (!qemu.isAlive()) {
                throw new IllegalStateException("qemu-system-x86_64 exited with " + qemu.exitValue());
            }
            return false;
        });
        ObjectMapper json = new ObjectMapper();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(
                    Channels.newInputStream(channel), StandardCharsets.UTF_8));
            Writer out = Channels.newWriter(channel, StandardCharsets.UTF_8);
            assertThat(json.readTree(in.readLine()).has("QMP")).isTrue();
            send(out, "{\"execute\":\"qmp_capabilities\"}");
            reply(in, json);
            send(out, "{\"execute\":\"query-commands\"}");
            Set<String> names = new HashSet<>();
            reply(in, json).forEach(c -> names.add(c.get("name").asText()));
            return names;
        }
    }

    private static void send(Writer out, String command) throws IOException {
        out.write(command + "\n");
        out.flush();
    }

    private static JsonNode reply(BufferedReader in, ObjectMapper json) throws IOException {
        for (String line; (line = in.readLine()) != null; ) {
            JsonNode node = json.readTree(line);
            if (node.has("return")) {
                return node.get("return");
            }
            if (node.has("error")) {
                throw new IllegalStateException("QMP error: " + line);
            }
            // anything else is an event: skip it
        }
        throw new IllegalStateException("QMP connection closed");
    }
}
