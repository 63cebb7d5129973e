package io.nbdflow.host;

import java.util.Optional;
import java.util.Set;

/**
 * What a host's QEMU binary offers, as a throw-away QEMU run on that host answered: its version,
 * its QMP commands, whether KVM works there, and its machine types.
 *
 * @param version        e.g. {@code 7.2.22}
 * @param commands       the names {@code query-commands} lists
 * @param kvmUsable      whether a QEMU asking for KVM got it ({@code query-kvm} enabled): the
 *                       device exists, is accessible and the kernel module works
 * @param machines       every machine type name and alias {@code query-machines} lists
 * @param defaultMachine the versioned type the alias {@code pc} stands for, e.g. {@code pc-i440fx-7.2};
 *                       null if the binary has no {@code pc}
 */
public record HostQemu(String version, Set<String> commands, boolean kvmUsable, Set<String> machines,
                       String defaultMachine) {

    /** The generic machine a new domain asks for; the host's QEMU resolves it to its newest versioned type. */
    public static final String GENERIC_MACHINE = "pc";

    public HostQemu {
        commands = Set.copyOf(commands);
        machines = Set.copyOf(machines);
    }

    public boolean hasMachine(String type) {
        return machines.contains(type);
    }

    /**
     * The accelerator that host's QEMUs run with when configured so: AUTO is KVM where it works,
     * TCG elsewhere; empty if KVM is configured but does not work there.
     */
    public Optional<Accelerator> effective(Accelerator configured) {
        return switch (configured) {
            case AUTO -> Optional.of(kvmUsable ? Accelerator.KVM : Accelerator.TCG);
            case KVM -> kvmUsable ? Optional.of(Accelerator.KVM) : Optional.empty();
            case TCG -> Optional.of(Accelerator.TCG);
        };
    }
}
