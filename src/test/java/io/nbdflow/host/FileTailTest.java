package io.nbdflow.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end of a file read from a host, as bytes and as text: directly on this machine, and through
 * nothing but the host's programs (the default for any connection that runs commands).
 */
class FileTailTest {

    @TempDir
    Path dir;

    private LocalHostConnection host() {
        return new LocalHostConnection(new Host("host-a", InetAddress.getLoopbackAddress(), dir, dir));
    }

    @Test
    void bothWaysReadTheSameLastBytesOfAnyFile() throws IOException {
        byte[] content = new byte[100_000];
        new Random(7).nextBytes(content); // every byte value, most of it no UTF-8
        Path file = dir.resolve("odd name; $HOME 'quoted'.log");
        Files.write(file, content);
        LocalHostConnection host = host();
        for (long max : new long[] {0, 1, 4096, 99_999, 100_000, 1_000_000}) {
            FileTail direct = host.readTail(file, max).orElseThrow();
            FileTail commands = FileTails.throughCommands(host, file, max).orElseThrow();
            byte[] expected = Arrays.copyOfRange(content, (int) Math.max(0, content.length - max), content.length);
            assertThat(direct.size()).isEqualTo(content.length);
            assertThat(direct.bytes()).as("direct, %d", max).isEqualTo(expected);
            assertThat(commands.size()).isEqualTo(content.length);
            assertThat(commands.bytes()).as("through stat and od, %d", max).isEqualTo(expected);
            assertThat(direct.complete()).isEqualTo(max >= content.length);
            assertThat(direct.text()).isNotNull(); // never fails, whatever the bytes
        }
        assertThat(host.readTail(dir.resolve("missing"), 10)).isEmpty();
        assertThat(FileTails.throughCommands(host, dir.resolve("missing"), 10)).isEmpty();
    }

    @Test
    void textLeavesOutACharacterTheCutSplitAndReplacesWhatIsNotUtf8() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // E2 82 AC
        byte[] cut = concat(new byte[] {euro[1], euro[2]}, "ok €\n".getBytes(StandardCharsets.UTF_8));
        assertThat(new FileTail(100, cut).text()).isEqualTo("ok €\n");
        // the whole file: nothing was cut, so a stray continuation byte is shown as replaced
        assertThat(new FileTail(cut.length, cut).text()).isEqualTo("\uFFFD\uFFFDok €\n");
        byte[] binary = {'a', (byte) 0xff, (byte) 0xc3, 'b', 0, '\n'};
        assertThat(new FileTail(binary.length, binary).text()).isEqualTo("a\uFFFD\uFFFDb\0\n");
    }

    @Test
    void sinceKeepsWhatLiesPastAnOffsetOfTheFile() {
        byte[] last = "0123456789".getBytes(StandardCharsets.US_ASCII); // bytes 90..99 of a 100-byte file
        FileTail tail = new FileTail(100, last);
        assertThat(tail.since(95).bytes()).isEqualTo("56789".getBytes(StandardCharsets.US_ASCII));
        assertThat(tail.since(50).bytes()).isEqualTo(last); // earlier than the tail: all of it
        assertThat(tail.since(100).bytes()).isEmpty();
        assertThat(tail.since(120).bytes()).isEmpty(); // a file that was replaced by a shorter one
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
