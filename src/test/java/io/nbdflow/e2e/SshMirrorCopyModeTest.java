package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link MirrorCopyModeCases} between hosts that are other machines, reached over SSH: {@code auto}
 * measures the guest's writes and mirrors write-blocking across the test network.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshMirrorCopyModeTest extends MirrorCopyModeCases {
}
