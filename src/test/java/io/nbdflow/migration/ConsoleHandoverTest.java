package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbdflow.config.PortRange;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostConnection;
import io.nbdflow.host.Hosts;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's way from one host's folder to another's, on files of this machine. */
class ConsoleHandoverTest {

    @TempDir
    Path dir;

    private HostConnection source;
    private HostConnection destination;
    private Path sourceLog;
    private Path destinationLog;

    @BeforeEach
    void hosts() {
        Host a = new Host("host-a", InetAddress.getLoopbackAddress(), dir.resolve("a/state"), dir.resolve("a/images"));
        Host b = new Host("host-b", InetAddress.getLoopbackAddress(), dir.resolve("b/state"), dir.resolve("b/images"));
        Hosts hosts = new Hosts(List.of(a, b), new PortRange(49152, 49153));
        source = hosts.connection(a);
        destination = hosts.connection(b);
        sourceLog = a.domainDir("vm1").resolve("console.log");
        destinationLog = b.domainDir("vm1").resolve("console.log");
    }

    @Test
    void theDestinationStartsWithTheSourcesConsoleAndGetsItsLastOutputMarked() throws IOException {
        Files.createDirectories(sourceLog.getParent());
        Files.writeString(sourceLog, "line 1\nline 2\n");
        long copiedUpTo = ConsoleHandover.seed(source, destination, "vm1");
        assertThat(copiedUpTo).isEqualTo(14);
        assertThat(Files.readString(destinationLog)).isEqualTo("line 1\nline 2\n");

        Files.writeString(sourceLog, "line 3\nline", StandardOpenOption.APPEND); // cut by the switchover
        Files.writeString(destinationLog, " 4\nline 5\n", StandardOpenOption.APPEND); // the destination's own
        Optional<String> block = ConsoleHandover.sourceOutputSince(source, "vm1", copiedUpTo);
        ConsoleHandover.appendToDestination(destination, "vm1", block.orElseThrow());
        assertThat(Files.readString(destinationLog)).isEqualTo("line 1\nline 2\n 4\nline 5\n"
                + "\n--- printed on host-a after this console was copied here, until the switchover ---\n"
                + "line 3\nline\n");

        // nothing new on the source: nothing to add
        assertThat(ConsoleHandover.sourceOutputSince(source, "vm1", Files.size(sourceLog))).isEmpty();
    }

    @Test
    void noSourceConsoleMeansAnEmptyOne() throws IOException {
        assertThat(ConsoleHandover.seed(source, destination, "vm1")).isZero();
        assertThat(Files.readString(destinationLog)).isEmpty();
        assertThat(ConsoleHandover.sourceOutputSince(source, "vm1", 0)).isEmpty();
    }

    @Test
    void aHugeConsoleIsCopiedOnlyByItsLastMebibyte() throws IOException {
        Files.createDirectories(sourceLog.getParent());
        byte[] line = "0123456789abcdef0123456789abcde\n".getBytes(StandardCharsets.US_ASCII); // 32 bytes
        byte[] huge = new byte[3 * 1024 * 1024];
        for (int i = 0; i < huge.length; i += line.length) {
            System.arraycopy(line, 0, huge, i, line.length);
        }
        Files.write(sourceLog, huge);
        long copiedUpTo = ConsoleHandover.seed(source, destination, "vm1");
        assertThat(copiedUpTo).isEqualTo(huge.length);
        String seeded = Files.readString(destinationLog);
        assertThat(seeded).startsWith("--- earlier output left out ---\n0123");
        assertThat(seeded.length()).isEqualTo("--- earlier output left out ---\n".length() + ConsoleHandover.MAX_COPY);

        Files.write(sourceLog, huge, StandardOpenOption.APPEND);
        String block = ConsoleHandover.sourceOutputSince(source, "vm1", copiedUpTo).orElseThrow();
        assertThat(block).startsWith("\n--- printed on host-a after this console was copied here, until the switchover"
                + " (its first " + (huge.length - ConsoleHandover.MAX_COPY) + " bytes left out) ---\n0123");
        assertThat(block).endsWith("abcde\n");
    }
}
