package io.nbdflow.host;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The last bytes of a file as they were when read: {@code size} is the file's length then, and
 * {@code bytes} its last {@code bytes.length} bytes (the whole file when it was short enough).
 */
public record FileTail(long size, byte[] bytes) {

    /** Whether the tail is the whole file. */
    public boolean complete() {
        return bytes.length == size;
    }

    /** The bytes that lie past {@code offset} of the file (all of the tail if it begins later). */
    public FileTail since(long offset) {
        long start = Math.max(0, offset - (size - bytes.length));
        if (start == 0) {
            return this;
        }
        int from = (int) Math.min(bytes.length, start);
        byte[] rest = new byte[bytes.length - from];
        System.arraycopy(bytes, from, rest, 0, rest.length);
        return new FileTail(size, rest);
    }

    /**
     * The bytes as UTF-8 text, whatever they hold: a character that the cut at the start split is
     * left out (its remaining bytes would read as garbage), and every byte that is not UTF-8
     * (a guest may print anything) becomes U+FFFD.
     */
    public String text() {
        int start = 0;
        if (!complete()) {
            // at most three continuation bytes (10xxxxxx) follow the lead byte that was cut off
            while (start < bytes.length && start < 3 && (bytes[start] & 0xC0) == 0x80) {
                start++;
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes, start, bytes.length - start)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("a replacing decoder failed", e); // REPLACE never throws
        }
    }
}
