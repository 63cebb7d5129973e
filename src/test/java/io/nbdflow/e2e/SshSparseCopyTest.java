package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link SparseCopyCases} between hosts that are other machines, reached over SSH: the images lie
 * in folders only each host has, and their allocation is read by qemu-img on the host itself.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshSparseCopyTest extends SparseCopyCases {
}
