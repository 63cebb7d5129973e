package io.nbdflow.process;

import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.migration.DiskSelection;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.MigrationStepException;
import io.nbdflow.migration.PlannedDisk;
import io.nbdflow.migration.StorageTransport;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MigrationVariablesTest {
    private static final DiskPlan PLAN = new DiskPlan(List.of(
            new PlannedDisk("vda", "qcow2", false, 1L << 30, "/a/web1-vda.qcow2", "/b/web1-vda.qcow2", true,
                    "/a/base.qcow2", "qcow2"),
            new PlannedDisk("vdb", "raw", true, 1L << 20, "/a/base.iso", "/a/base.iso", false, null, null)));

    private final Map<String, Object> store = new HashMap<>();
    private final MigrationVariables variables = new MigrationVariables(store::get, store::put);

    @Test
    void theRequestIsWrittenInItsPlainFormAndReadBack() {
        store.putAll(Map.of("domain", "web1", "destinationHost", "host-b", "copyStorage", " INC ",
                "migrateDisks", "vda", "bandwidthMiBps", 16));
        MigrationRequest request = MigrationRequest.parse(store);

        variables.writeRequest(request);

        assertThat(store).containsEntry("copyStorage", "inc").containsEntry("bandwidthMiBps", 16L)
                .containsEntry("tunnelled", false).containsEntry("approveSwitchover", false)
                .containsEntry("domain", "web1").containsEntry("migrateDisks", "vda");
        assertThat(variables.request()).isEqualTo(new MigrationRequest("web1", "host-b", CopyStorage.INC,
                new DiskSelection("vda"), 16L << 20, false, false, false));
        assertThat(store).containsEntry("mirrorCopyMode", "auto").containsEntry("maxDowntimeMs", 0L)
                .containsEntry("autoConverge", true).containsEntry("stallTimeoutSeconds", 120L)
                .doesNotContainKey("requireTls");
    }

    @Test
    void aVariableChangedToARefusedValueFailsTheStepThatReadsIt() {
        store.putAll(Map.of("domain", "web1", "destinationHost", "host-b"));
        variables.writeRequest(MigrationRequest.parse(store));

        store.put("stallTimeoutSeconds", "never");

        assertThatThrownBy(variables::request).isInstanceOf(MigrationStepException.class)
                .hasMessageContaining("stallTimeoutSeconds: expected a number of seconds, got 'never'");
    }

    @Test
    void thePlanIsJsonTextAndReadsBackEqual() {
        assertThat(variables.targetsToCopy()).as("before planning").isEmpty();

        variables.writePlan(PLAN);

        assertThat(store.get("diskPlan")).isInstanceOf(String.class);
        assertThat((String) store.get("diskPlan")).contains("\"target\" : \"vda\"").doesNotContain("nodeName");
        assertThat(variables.plan()).isEqualTo(PLAN);
        assertThat(variables.targetsToCopy()).containsExactly("vda");
        assertThat(MigrationVariables.of(Map.of("diskPlan", store.get("diskPlan"))).targetsToCopy())
                .containsExactly("vda");
    }

    @Test
    void everyValueIsPlain() {
        variables.writeRequest(new MigrationRequest("web1", "host-b", CopyStorage.ALL,
                DiskSelection.EVERY_WRITABLE_DISK, 0, true, true, true));
        variables.writePlan(PLAN);
        variables.writeTransport(StorageTransport.LEGACY);
        variables.writeNbdPort(49152);
        variables.writeMigrationPort(49153);
        variables.writeConvergenceTimeout(Duration.ofSeconds(90));
        variables.writeSourceHost("host-a");
        variables.writeBeginCookie(new MigrationCookie("web1", null, "host-a", null));
        variables.writePrepareCookie(new MigrationCookie("web1", null, "host-b", null));
        variables.writeCreatedFiles(List.of(Path.of("/b/web1-vda.qcow2")));

        assertThat(store.values()).allSatisfy(v -> assertThat(v).isInstanceOfAny(String.class, Long.class,
                Integer.class, Boolean.class));
        assertThat(store).containsEntry("storageTransport", "legacy").containsEntry("nbdPort", 49152)
                .containsEntry("migrationPort", 49153).containsEntry("convergenceTimeout", "PT1M30S")
                .containsEntry("sourceHost", "host-a");
        assertThat(variables.transport()).isEqualTo(StorageTransport.LEGACY);
        assertThat(variables.nbdPort()).isEqualTo(49152);
        assertThat(variables.migrationPort()).isEqualTo(49153);
        assertThat(variables.beginCookie().hostname()).isEqualTo("host-a");
        assertThat(variables.createdFiles()).containsExactly(Path.of("/b/web1-vda.qcow2"));
    }

    @Test
    void fetchedVariablesAreReadOnly() {
        MigrationVariables fetched = MigrationVariables.of(Map.of("domain", "web1"));
        assertThat(fetched.domain()).isEqualTo("web1");
        assertThat(fetched.createdFiles()).isEmpty();
        assertThatThrownBy(() -> fetched.writeNbdPort(1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(fetched::plan).isInstanceOf(IllegalStateException.class).hasMessageContaining("diskPlan");
    }
}
