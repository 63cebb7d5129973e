package io.nbdflow.testsupport;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** What this machine offers the tests' guests, found out the way QEMU finds it out. */
public final class ThisMachine {
    private static final Path KVM = Path.of("/dev/kvm");

    private ThisMachine() {
    }

    /**
     * Whether a QEMU started here gets KVM: /dev/kvm opens for reading and writing (QEMU opens it
     * so). Tests expect KVM where this holds and TCG elsewhere; both kinds of machine run them.
     */
    public static boolean kvmWorks() {
        try (FileChannel ignored = FileChannel.open(KVM, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** The accelerator nbdflow's {@code auto} gives a guest here, as the API spells it. */
    public static String autoAccelerator() {
        return kvmWorks() ? "kvm" : "tcg";
    }
}
