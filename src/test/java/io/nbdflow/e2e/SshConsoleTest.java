package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTestContext;
import org.springframework.test.context.ContextConfiguration;

/** The serial console on hosts that are other machines: read over SSH, carried along by migrations both ways. */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
class SshConsoleTest extends ConsoleTest {
}
