package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link AbortCases} between hosts that are other machines, reached over SSH: the rollback after an
 * abort stops and cleans the destination through its SSH connection.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshAbortTest extends AbortCases {
}
