package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link IncrementalCopyTest} between hosts that are other machines, reached over SSH: the
 * backing file lies on storage both hosts mount, the overlays in folders only each host has.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshIncrementalCopyTest extends IncrementalCopyTest {
}
