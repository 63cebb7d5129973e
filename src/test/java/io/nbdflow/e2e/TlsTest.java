package io.nbdflow.e2e;

import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.TlsTestContext;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.ContextConfiguration;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TlsCases} on this machine's hosts ({@link TlsTestContext}: host-c without TLS, host-d
 * untrusted, host-e trusted), captured on the loopback interface.
 */
@ContextConfiguration(initializers = TlsTestContext.class, inheritInitializers = false)
class TlsTest extends TlsCases {

    @Override
    String captureInterface() {
        return "lo";
    }

    @Test
    void withoutTlsTheGuestsRamAndDiskCrossTheNetworkInClearText() throws Exception {
        clearTextCase("host-c");
    }

    @Test
    void betweenHostsWithTlsNothingOfTheGuestIsVisibleOverBlockMigrationOrNbd() throws Exception {
        encryptedCase("host-b", "host-e");
    }

    @Test
    void anUntrustedDestinationRollsBackTheBlockMigrationAndRequireTlsRefusesAHostWithout() throws Exception {
        String name = "tlsreq";
        startMarkerGuest(name);
        try {
            // left out, requireTls is true: host-a has TLS, host-c has none
            String refused = migrate(name, Map.of("destinationHost", "host-c"));
            awaitEnd(refused, MIGRATION_TIMEOUT);
            Map<String, Object> r = variables(refused);
            assertThat(r.get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);
            assertThat(r.get(Vars.FAILURE_REASON).toString()).contains("requireTls").contains("'host-c'");
            assertThat(seen(hostC(), hostC().domainDir(name))).as("nothing on host-c").doesNotExist();
        } finally {
            stop(name);
        }
        untrustedCase("host-d", true, "host-c");
    }
}
