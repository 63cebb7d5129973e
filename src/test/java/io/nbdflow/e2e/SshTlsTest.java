package io.nbdflow.e2e;

import io.nbdflow.testsupport.SshTlsTestContext;
import io.nbdflow.testsupport.TestNetwork;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.ContextConfiguration;

/**
 * {@link TlsCases} between hosts that are other machines ({@link SshTlsTestContext}: host-c
 * untrusted), captured on the test network's bridge: the credentials are files on each host.
 */
@ContextConfiguration(initializers = SshTlsTestContext.class, inheritInitializers = false)
class SshTlsTest extends TlsCases {

    @Override
    String captureInterface() {
        return TestNetwork.shared().bridge();
    }

    @Test
    void betweenHostsWithTlsNothingOfTheGuestIsVisible() throws Exception {
        encryptedCase(null, "host-b");
    }

    @Test
    void anUntrustedDestinationRollsBackTheMirror() throws Exception {
        untrustedCase("host-c", false, null);
    }
}
