package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.domain.DomainRepository;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.store.MigrationRecords;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The state after a migration was undone without its own variables to go by (they were tampered
 * with, or the instance is deleted): the domain free and running on host-a with no block job,
 * host-b without its folder, files, QEMU (the pid it really had) or ports, nothing reserved or
 * recorded.
 */
final class RecordedUndoChecks {
    private RecordedUndoChecks() {
    }

    static void assertUndone(MigrationTestBase test, DomainRepository domains, MigrationRecords records, String name,
                             String id, long destinationPid, Set<String> destinationBefore) throws Exception {
        test.assertNoPortReserved(id);
        assertThat(domains.migrationOf(name)).as("domain still marked migrating").isEmpty();
        assertThat(records.migrations()).as("records of the migration").doesNotContain(id);
        JsonNode domain = test.api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        try (QmpClient qmp = test.tools(name)) {
            assertThat(SourceSide.status(qmp)).isEqualTo("running");
            assertThat(SourceSide.blockJobs(qmp)).as("block jobs on the source").isEmpty();
        }
        test.assertDestinationClean(name, Map.of(Vars.DESTINATION_PID, destinationPid), destinationBefore);
    }
}
