package io.nbdflow.bench;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/** {@link OneDiskMigrationRounds} between hosts reached over SSH (the test network). */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshMigrationBenchmark extends OneDiskMigrationRounds {
}
