package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest without an operating system that prints to its serial port: a raw disk whose boot sector
 * writes "nbdflow-console NNNN\r\n" to COM1 at every tick of the BIOS timer (about 18 lines a
 * second), NNNN a hexadecimal counter kept in the guest's registers, so a migrated guest goes on
 * counting where it was. SeaBIOS boots it from a virtio disk.
 */
public final class SerialGuest {

    /** The text before each counter. */
    public static final String MARKER = "nbdflow-console ";
    private static final Pattern LINE = Pattern.compile(Pattern.quote(MARKER) + "([0-9A-F]{4})\r?\n");

    /**
     * 16-bit code loaded at 0x7c00, assembled by hand (GNU as, .code16) and checked by booting it:
     * <pre>
     *   cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7c00; sti; xor bx,bx   ; bx: the counter
     * line:  mov si,msg; mov dx,0x3f8
     * text:  lodsb; test al,al; jz digits; out dx,al; jmp text            ; the marker
     * digits: mov cx,4; mov di,bx
     * digit: rol di,4; mov ax,di; and al,0xf; add al,'0'; cmp al,'9'; jbe put; add al,7
     * put:   out dx,al; loop digit                                          ; four hex digits
     *        mov al,13; out dx,al; mov al,10; out dx,al; inc bx
     *        mov cx,1
     * wait:  hlt; loop wait; jmp line                                       ; one timer tick
     * msg:   "nbdflow-console ", 0
     * </pre>
     */
    private static final byte[] CODE = HexFormat.of().parseHex(
            "fa31c08ed88ed0bc007cfb31dbbe417cbaf803ac84c07403eeebf8b9040089dfc1c70489f8240f04303c3976020407ee"
                    + "e2eeb00deeb00aee43b90100f4e2fdebcc6e6264666c6f772d636f6e736f6c652000");

    private SerialGuest() {
    }

    /**
     * Writes the boot disk (raw, 1 MiB: SeaBIOS does not boot a disk of one sector) to that file.
     */
    public static Path createDisk(Path file) {
        return BootSector.createDisk(file, CODE);
    }

    /**
     * Writes a boot disk like {@link #createDisk(Path)}, {@code size} bytes long, whose boot
     * sector holds {@code inBootSector} repeated after the code (SeaBIOS loads the sector to
     * 0x7c00: the text is then in the guest's RAM) and whose bytes from {@code offset} on hold
     * {@code text} repeated over {@code length} bytes (on the disk only: the guest never reads them).
     */
    public static Path createDisk(Path file, long size, byte[] inBootSector, long offset, byte[] text, int length) {
        createDisk(file);
        try (java.io.RandomAccessFile disk = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            disk.setLength(size);
            disk.seek(CODE.length);
            disk.write(repeated(inBootSector, 510 - CODE.length));
            disk.seek(offset);
            disk.write(repeated(text, length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static byte[] repeated(byte[] text, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = text[i % text.length];
        }
        return out;
    }

    /** The counters of the whole lines in that console text, in the order they appear. */
    public static List<Integer> counters(String console) {
        List<Integer> counters = new ArrayList<>();
        Matcher m = LINE.matcher(console);
        while (m.find()) {
            counters.add(Integer.parseInt(m.group(1), 16));
        }
        return counters;
    }

    /** The highest counter in that text, -1 if none. */
    public static int highest(String console) {
        return counters(console).stream().mapToInt(Integer::intValue).max().orElse(-1);
    }

    /** The counters from 0 to the highest that the text lacks. */
    public static Set<Integer> missing(String console) {
        Set<Integer> seen = new TreeSet<>(counters(console));
        Set<Integer> missing = new TreeSet<>();
        for (int i = 0; i <= highest(console); i++) {
            if (!seen.contains(i)) {
                missing.add(i);
            }
        }
        return missing;
    }
}
