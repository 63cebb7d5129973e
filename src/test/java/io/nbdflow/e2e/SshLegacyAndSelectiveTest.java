package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link LegacyAndSelectiveCases} between hosts that are other machines, reached over SSH: the
 * legacy block migration and a selection of disks, the disk left behind on a share both hosts mount.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshLegacyAndSelectiveTest extends LegacyAndSelectiveCases {
}
