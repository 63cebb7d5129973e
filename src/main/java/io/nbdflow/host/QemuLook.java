package io.nbdflow.host;

import java.util.List;

/**
 * What one look at a host found behind a QEMU pid file: the live process it names (not a zombie,
 * its command line naming qemu), that command line (argv[0] first), and whether the monitor socket
 * asked about exists.
 */
public record QemuLook(long pid, List<String> commandLine, boolean socketExists) {
    public QemuLook {
        commandLine = List.copyOf(commandLine);
    }
}
