package io.nbdflow.host;

import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Optional;

/**
 * Connects to every configured host and reports what a migration would rely on there: that it
 * answers, its QEMU's version, accelerator and machine types, the free space of its storage-dir and,
 * for a host reached over SSH, the host key it presented. A host that fails is reported with the
 * reason, never as an exception: one host down must not hide the others.
 */
@Component
public class HostCheck {
    private final Hosts hosts;
    private final CapabilityProbe probe;

    public HostCheck(Hosts hosts, CapabilityProbe probe) {
        this.hosts = hosts;
        this.probe = probe;
    }

    public List<HostReport> all() {
        return hosts.all().stream().map(this::check).toList();
    }

    public HostReport check(Host host) {
        String configured = HostMachines.word(host.accelerator());
        String address = host.address().getHostAddress();
        long free;
        String fingerprint;
        try {
            HostConnection connection = hosts.connection(host);
            free = connection.usableSpace(host.storageDir());
            fingerprint = connection.hostKeyFingerprint().orElse("");
        } catch (RuntimeException e) {
            return new HostReport(host.name(), address, host.isRemote(), false, message(e), null, configured, null,
                    null, null, host.storageDir().toString(), null, null, host.hasTls());
        }
        HostQemu qemu;
        try {
            qemu = probe.hostQemu(host);
        } catch (RuntimeException e) {
            return new HostReport(host.name(), address, host.isRemote(), true, "QEMU: " + message(e), null,
                    configured, null, null, null, host.storageDir().toString(), free, fingerprint, host.hasTls());
        }
        Optional<Accelerator> effective = qemu.effective(host.accelerator());
        return new HostReport(host.name(), address, host.isRemote(), true,
                effective.isEmpty() ? "accelerator kvm is configured, but KVM is not usable there" : null,
                qemu.version(), configured, effective.map(HostMachines::word).orElse(null), qemu.machines().size(),
                qemu.defaultMachine(), host.storageDir().toString(), free, fingerprint, host.hasTls());
    }

    private static String message(RuntimeException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
