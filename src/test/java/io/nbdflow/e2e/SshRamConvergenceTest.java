package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link RamConvergenceCases} between hosts that are other machines, reached over SSH: the
 * migration's parameters go through nbdflow's SSH monitor channel, and the destination that
 * stops reading lives in another network.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshRamConvergenceTest extends RamConvergenceCases {
}
