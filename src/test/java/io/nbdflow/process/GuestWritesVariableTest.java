package io.nbdflow.process;

import io.nbdflow.migration.GuestWriteRate;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The guest's written bytes at inspection, as a process variable: JSON text, and never fatal when changed by hand. */
class GuestWritesVariableTest {

    @Test
    void writtenAsJsonTextAndReadBack() {
        Map<String, Object> vars = new HashMap<>();
        MigrationVariables variables = new MigrationVariables(vars::get, vars::put);
        GuestWriteRate.Snapshot snapshot = new GuestWriteRate.Snapshot(1_700_000_000_000L, Map.of("vda", 4096L));
        variables.writeGuestWrites(snapshot);
        assertThat(vars.get(Vars.GUEST_WRITES_AT_INSPECTION)).isInstanceOf(String.class);
        assertThat(variables.guestWrites()).contains(snapshot);
    }

    @Test
    void absentOrUnreadableIsNone() {
        Map<String, Object> vars = new HashMap<>();
        MigrationVariables variables = new MigrationVariables(vars::get, vars::put);
        assertThat(variables.guestWrites()).isEmpty();
        for (Object changed : new Object[]{"not json", "{\"atMillis\": 1, \"writtenBytes\": {\"vda\": null}}", 42L}) {
            vars.put(Vars.GUEST_WRITES_AT_INSPECTION, changed);
            assertThat(variables.guestWrites()).as("%s", changed).isEmpty();
        }
    }
}
