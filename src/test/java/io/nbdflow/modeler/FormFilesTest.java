package io.nbdflow.modeler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.process.Vars;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.StartEvent;
import org.camunda.bpm.model.bpmn.instance.UserTask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Camunda Forms in forms/: well-formed for the engine (which keys them by "id"), referenced
 * correctly from the BPMN, and asking for exactly the start variables the README documents
 * ("Starting a migration").
 */
class FormFilesTest {

    /** The start variables a client may set, as the README lists them ("Starting a migration"). */
    static final Set<String> START_VARIABLES = Set.of(Vars.DOMAIN, Vars.DESTINATION_HOST, Vars.COPY_STORAGE,
            Vars.MIGRATE_DISKS, Vars.BANDWIDTH_MIBPS, Vars.APPROVE_SWITCHOVER, Vars.TUNNELLED, Vars.KEEP_SOURCE_DISKS,
            Vars.MIRROR_COPY_MODE, Vars.MAX_DOWNTIME_MS, Vars.AUTO_CONVERGE, Vars.STALL_TIMEOUT_SECONDS);

    /** Form by its id. */
    private static final Map<String, JsonNode> forms = new TreeMap<>();

    @BeforeAll
    static void load() throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (Path file : ProjectFiles.files("forms", ".form")) {
            JsonNode form = json.readTree(file.toFile());
            assertThat(form.path("type").asText()).as(file + " type").isEqualTo("default");
            assertThat(form.path("schemaVersion").isInt()).as(file + " schemaVersion").isTrue();
            assertThat(form.path("executionPlatform").asText()).as(file + " executionPlatform").isEqualTo("Camunda Platform");
            String id = form.path("id").asText();
            assertThat(id).as(file + " id").isNotBlank();
            assertThat(forms.put(id, form)).as(file + ": second form with id " + id).isNull();
        }
    }

    @Test
    void componentIdsAndKeysAreUnique() {
        for (Map.Entry<String, JsonNode> form : forms.entrySet()) {
            Set<String> ids = new HashSet<>();
            Set<String> keys = new HashSet<>();
            for (JsonNode c : form.getValue().path("components")) {
                assertThat(ids.add(c.path("id").asText())).as(form.getKey() + " component id " + c.path("id")).isTrue();
                if (c.has("key")) {
                    assertThat(keys.add(c.path("key").asText())).as(form.getKey() + " key " + c.path("key")).isTrue();
                }
            }
        }
    }

    @Test
    void everyFormRefInTheProcessNamesAForm() {
        BpmnModelInstance model = ProjectFiles.model();
        List<String> refs = new ArrayList<>();
        for (StartEvent e : model.getModelElementsByType(StartEvent.class)) {
            check(e.getId(), e.getCamundaFormRef(), e.getCamundaFormRefBinding(), refs);
        }
        for (UserTask t : model.getModelElementsByType(UserTask.class)) {
            assertThat(t.getCamundaFormRef()).as(t.getId() + " needs a camunda:formRef").isNotNull();
            check(t.getId(), t.getCamundaFormRef(), t.getCamundaFormRefBinding(), refs);
        }
        assertThat(refs).contains("approveSwitchover");
    }

    @Test
    void startFormAsksForTheDocumentedStartVariables() {
        JsonNode form = forms.get("startMigration");
        assertThat(form).as("forms/start-migration.form with id startMigration").isNotNull();
        Map<String, JsonNode> fields = keyed(form);
        assertThat(fields.keySet()).containsExactlyInAnyOrderElementsOf(START_VARIABLES);
        assertThat(required(fields.get(Vars.DOMAIN))).isTrue();
        assertThat(required(fields.get(Vars.DESTINATION_HOST))).isTrue();
        assertThat(required(fields.get(Vars.MIGRATE_DISKS))).isFalse();

        JsonNode copyStorage = fields.get(Vars.COPY_STORAGE);
        assertThat(copyStorage.path("type").asText()).isEqualTo("select");
        assertThat(copyStorage.path("defaultValue").asText()).isEqualTo("all");
        assertThat(copyStorage.path("values").findValuesAsText("value")).containsExactly("all", "inc");

        assertThat(fields.get(Vars.BANDWIDTH_MIBPS).path("type").asText()).isEqualTo("number");
        assertThat(fields.get(Vars.BANDWIDTH_MIBPS).path("defaultValue").asInt(-1)).isZero();
        assertThat(fields.get(Vars.APPROVE_SWITCHOVER).path("type").asText()).isEqualTo("checkbox");
        assertThat(fields.get(Vars.TUNNELLED).path("type").asText()).isEqualTo("checkbox");
        assertThat(fields.get(Vars.KEEP_SOURCE_DISKS).path("type").asText()).isEqualTo("checkbox");
        assertThat(fields.get(Vars.KEEP_SOURCE_DISKS).path("defaultValue").asBoolean(true)).isFalse();
        JsonNode copyMode = fields.get(Vars.MIRROR_COPY_MODE);
        assertThat(copyMode.path("defaultValue").asText()).isEqualTo("auto");
        assertThat(copyMode.path("values").findValuesAsText("value"))
                .containsExactlyInAnyOrder("auto", "background", "write-blocking");
        assertThat(fields.get(Vars.MAX_DOWNTIME_MS).path("defaultValue").asInt(-1)).isZero();
        assertThat(fields.get(Vars.AUTO_CONVERGE).path("defaultValue").asBoolean(false)).isTrue();
        assertThat(fields.get(Vars.STALL_TIMEOUT_SECONDS).path("defaultValue").asInt()).isEqualTo(120);
        // requireTls has no field: a checkbox always sends true or false, and its default is neither
        // (the hosts' configuration decides); the API and the call template can set it
        assertThat(fields).doesNotContainKey(Vars.REQUIRE_TLS);
        assertThat(fields.get(Vars.MIGRATE_DISKS).path("description").asText())
                .isEqualTo("comma-separated targets, e.g. vda,vdc; empty = every writable disk");
        // the pattern accepts what DiskPlan accepts: empty, or vd[a-z]+ separated by commas
        String pattern = fields.get(Vars.MIGRATE_DISKS).path("validate").path("pattern").asText();
        assertThat("").matches(pattern);
        assertThat("vda, vdc").matches(pattern);
        assertThat("vda,").doesNotMatch(pattern);
        assertThat("sda").doesNotMatch(pattern);
    }

    @Test
    void approvalFormShowsTheMigrationAndNeedsAConfirmation() {
        JsonNode form = forms.get("approveSwitchover");
        assertThat(form).as("forms/approve-switchover.form with id approveSwitchover").isNotNull();
        String text = form.path("components").findValuesAsText("text").toString();
        assertThat(text).contains("{{domain}}", "{{destinationHost}}", "{{disksToCopy}}");
        // only the confirmation is submitted: the shown values are text, not fields written back
        Map<String, JsonNode> fields = keyed(form);
        assertThat(fields).hasSize(1);
        JsonNode confirmation = fields.values().iterator().next();
        assertThat(confirmation.path("type").asText()).isEqualTo("checkbox");
        assertThat(required(confirmation)).as("form-js: a required checkbox must be checked").isTrue();
    }

    private static void check(String element, String formRef, String binding, List<String> refs) {
        if (formRef == null) {
            return;
        }
        assertThat(forms).as(element + " camunda:formRef").containsKey(formRef);
        assertThat(binding).as(element + " camunda:formRefBinding").isEqualTo("latest");
        refs.add(formRef);
    }

    private static Map<String, JsonNode> keyed(JsonNode form) {
        Map<String, JsonNode> fields = new TreeMap<>();
        for (JsonNode c : form.path("components")) {
            if (c.has("key")) {
                fields.put(c.path("key").asText(), c);
            }
        }
        return fields;
    }

    private static boolean required(JsonNode field) {
        return field.path("validate").path("required").asBoolean(false);
    }
}
