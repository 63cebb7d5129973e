package io.nbdflow.host;

import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;

import java.util.Set;

/**
 * Which QMP commands each side's QEMU offers: whether NBD can carry the disks. An interface
 * so a test can present a QEMU without NBD and see the migration take another path.
 */
public interface CapabilityProbe {

    Set<String> sourceCommands(QmpClient sourceMonitor) throws QmpException;

    /** The QEMU that would be started on the destination host. */
    Set<String> destinationCommands(Host destination);
}
