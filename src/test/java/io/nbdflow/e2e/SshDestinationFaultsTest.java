package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link DestinationFaultCases} between hosts that are other machines, reached over SSH: the
 * destination's QEMU dies under nbdflow's SSH connection, and the file in the way lies in a
 * folder only host-b has.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshDestinationFaultsTest extends DestinationFaultCases {
}
