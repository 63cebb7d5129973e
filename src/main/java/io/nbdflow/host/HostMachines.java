package io.nbdflow.host;

import org.springframework.stereotype.Component;

import java.util.Locale;

/**
 * Which machine a host's QEMU is launched with: the accelerator its configuration asks for as
 * that host's QEMU can give it, and a machine type that host's QEMU offers.
 */
@Component
public class HostMachines {
    private final CapabilityProbe probe;

    public HostMachines(CapabilityProbe probe) {
        this.probe = probe;
    }

    /**
     * KVM or TCG for that host: its configured accelerator, AUTO decided by its QEMU. A host
     * configured for KVM where KVM does not work is refused (QemuLaunchException): silently running
     * it under TCG would make it unable to take or give a KVM guest.
     */
    public Accelerator accelerator(Host host) {
        return probe.hostQemu(host).effective(host.accelerator()).orElseThrow(() -> new QemuLaunchException(
                "host '" + host.name() + "' is configured with accelerator kvm, but KVM is not usable there "
                        + "(its QEMU got no KVM: /dev/kvm missing, inaccessible or without its kernel module)"));
    }

    /**
     * The machine of a domain started on that host: its recorded type if it has one (a domain keeps its
     * type for its lifetime), else the versioned type the host's QEMU resolves {@code pc} to.
     */
    public Machine forDomain(Host host, String recordedType) {
        HostQemu qemu = probe.hostQemu(host);
        String type = recordedType != null ? recordedType : qemu.defaultMachine();
        if (type == null) {
            throw new QemuLaunchException("the QEMU of host '" + host.name() + "' offers no machine type '"
                    + HostQemu.GENERIC_MACHINE + "'");
        }
        if (!qemu.hasMachine(type)) {
            throw new QemuLaunchException("the QEMU of host '" + host.name() + "' (" + qemu.version()
                    + ") lacks machine type '" + type + "'");
        }
        return new Machine(type, accelerator(host));
    }

    /** The accelerator's word as the API and the configuration write it (kvm, tcg, auto). */
    public static String word(Accelerator accelerator) {
        return accelerator.name().toLowerCase(Locale.ROOT);
    }
}
