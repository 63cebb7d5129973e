package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A raw boot disk for the test guests without an operating system that SeaBIOS boots. */
final class BootSector {
    private BootSector() {
    }

    /**
     * Writes a raw disk of 1 MiB (SeaBIOS does not boot a disk of one sector) whose first sector
     * holds that code and the boot signature; returns the file.
     */
    static Path createDisk(Path file, byte[] code) {
        byte[] disk = new byte[1024 * 1024];
        System.arraycopy(code, 0, disk, 0, code.length);
        disk[510] = 0x55;
        disk[511] = (byte) 0xAA;
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, disk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
