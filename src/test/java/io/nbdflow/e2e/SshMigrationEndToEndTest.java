package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;
import org.springframework.test.context.TestPropertySource;

/**
 * {@link MigrationEndToEndTest} between hosts that are other machines: host-a and host-b are
 * reached over SSH only, their folders exist on them alone, and NBD and the migration go straight
 * from one host's address to the other's.
 * <p>
 * Its engine has a name of its own: the JVM's engine named "default" is {@link MigrationEndToEndTest}'s
 * (the engine REST API finds an engine by its name among all of the JVM's), so the calls written as
 * documented go to this engine's own path.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
@TestPropertySource(properties = "camunda.bpm.generate-unique-process-engine-name=true", inheritProperties = false)
class SshMigrationEndToEndTest extends MigrationEndToEndTest {

    @Override
    String documentedEngineRest() {
        return engineRest();
    }
}
