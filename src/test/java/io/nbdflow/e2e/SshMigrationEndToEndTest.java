package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link MigrationEndToEndTest} between hosts that are other machines: host-a and host-b are
 * reached over SSH only, their folders exist on them alone, and NBD and the migration go straight
 * from one host's address to the other's.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshMigrationEndToEndTest extends MigrationEndToEndTest {
}
