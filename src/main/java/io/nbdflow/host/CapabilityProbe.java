package io.nbdflow.host;

import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;

import java.util.Set;

/**
 * What each side's QEMU offers: which QMP commands (whether NBD can carry the disks), and for a
 * host's binary also its version, machine types and whether KVM works there. An interface so a
 * test can present a QEMU without NBD and see the migration take another path.
 */
public interface CapabilityProbe {

    Set<String> sourceCommands(QmpClient sourceMonitor) throws QmpException;

    /** The QEMU that would be started on the destination host. */
    Set<String> destinationCommands(Host destination);

    /** What a QEMU started on that host would offer; IllegalStateException if that QEMU cannot be run there. */
    HostQemu hostQemu(Host host);
}
