package io.nbdflow.migration;

import io.nbdflow.host.Accelerator;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostQemu;

import java.util.Locale;

/**
 * Whether the destination can run the source's guest as it is: the destination QEMU must offer
 * the exact machine type the source runs (the migration stream carries that type's device state),
 * and both sides must use the same accelerator (KVM and TCG guests differ in CPU state that QEMU
 * cannot carry from one to the other reliably).
 */
public final class MachineCompatibility {
    private static final String FIELD = MigrationRequest.DESTINATION_HOST;

    private MachineCompatibility() {
    }

    /**
     * Refuses (MigrationRefusedException) what the destination cannot take.
     *
     * @param sourceType        the running source's machine type, e.g. {@code pc-i440fx-7.2}
     * @param sourceAccelerator the running source's accelerator
     * @param destinationQemu   what the destination host's QEMU offers
     * @param destinationAccelerator the accelerator the destination's QEMU would run with; null if the
     *                          destination is configured for KVM that it lacks
     */
    public static void require(Host source, String sourceType, Accelerator sourceAccelerator, Host destination,
                               HostQemu destinationQemu, Accelerator destinationAccelerator) {
        if (destinationAccelerator == null) {
            throw new MigrationRefusedException(FIELD, FIELD + ": host '" + destination.name()
                    + "' is configured with accelerator kvm, but its QEMU gets no KVM there");
        }
        if (sourceAccelerator != destinationAccelerator) {
            throw new MigrationRefusedException(FIELD, FIELD + ": mixed accelerators: the domain runs with "
                    + word(sourceAccelerator) + " on host '" + source.name() + "', but host '" + destination.name()
                    + "' would run it with " + word(destinationAccelerator)
                    + " (accelerator " + word(destination.accelerator()) + " configured there); both sides must "
                    + "use the same");
        }
        if (!destinationQemu.hasMachine(sourceType)) {
            throw new MigrationRefusedException(FIELD, FIELD + ": the domain runs machine type '" + sourceType
                    + "' on host '" + source.name() + "', which the QEMU of host '" + destination.name() + "' ("
                    + destinationQemu.version() + ") lacks");
        }
    }

    private static String word(Accelerator a) {
        return a.name().toLowerCase(Locale.ROOT);
    }
}
