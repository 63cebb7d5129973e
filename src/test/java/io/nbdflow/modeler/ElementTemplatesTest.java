package io.nbdflow.modeler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.process.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.ServiceTask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The Modeler's element templates (.camunda/element-templates/*.json) against the code and the
 * BPMN: they name existing beans, every delegate has one, and applying a template to its task
 * changes nothing (same async flag; compensation role recorded in metadata, since Camunda 7
 * templates have no binding for it). No template sets or restates a retry cycle: failed jobs are
 * retried with the engine's default (RetryCycleTest). Schema validity: tools/lint (LintTest).
 */
class ElementTemplatesTest {

    private static final String FOLDER = ".camunda/element-templates";

    private static Map<String, String> beans;
    /** Template by the bean its camunda:delegateExpression names. */
    private static final Map<String, JsonNode> templates = new TreeMap<>();
    /** Each template file's text by its name. */
    private static final Map<String, String> texts = new TreeMap<>();
    /** The templates of call activities, which call a process rather than name a delegate. */
    private static final List<JsonNode> callTemplates = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        beans = ProjectFiles.processBeans();
        ObjectMapper json = new ObjectMapper();
        for (Path file : ProjectFiles.files(FOLDER, ".json")) {
            JsonNode root = json.readTree(file.toFile());
            texts.put(file.getFileName().toString(), Files.readString(file));
            for (JsonNode template : root.isArray() ? root : List.of(root)) {
                if (template.path("appliesTo").toString().contains("bpmn:CallActivity")) {
                    callTemplates.add(template);
                    continue;
                }
                String bean = ProjectFiles.beanOf(delegateExpression(template));
                assertThat(bean).as(file + ": a Hidden camunda:delegateExpression ${bean} property").isNotNull();
                assertThat(templates.put(bean, template)).as(file + ": second template for " + bean).isNull();
            }
        }
    }

    @Test
    void templatesReferenceOnlyExistingBeans() {
        assertThat(templates).isNotEmpty();
        for (Map.Entry<String, JsonNode> t : templates.entrySet()) {
            assertThat(beans).as(t.getValue().path("id").asText()).containsKey(t.getKey());
            assertThat(t.getValue().path("metadata").path("delegate").asText()).isEqualTo(t.getKey());
            String undo = t.getValue().path("metadata").path("compensatedBy").asText(null);
            if (undo != null) {
                assertThat(beans).as(t.getKey() + " compensatedBy").containsKey(undo);
            }
        }
    }

    @Test
    void everyDelegateHasATemplate() {
        assertThat(templates.keySet()).containsAll(ProjectFiles.delegateBeans());
        for (ServiceTask task : ProjectFiles.model().getModelElementsByType(ServiceTask.class)) {
            assertThat(templates).as(task.getId()).containsKey(ProjectFiles.beanOf(task.getCamundaDelegateExpression()));
        }
    }

    @Test
    void applyingATemplateKeepsWhatTheProcessSays() {
        BpmnModelInstance model = ProjectFiles.model();
        List<String> problems = new ArrayList<>();
        for (ServiceTask task : model.getModelElementsByType(ServiceTask.class)) {
            String bean = ProjectFiles.beanOf(task.getCamundaDelegateExpression());
            JsonNode template = templates.get(bean);
            JsonNode metadata = template.path("metadata");
            String where = task.getId() + " / template " + template.path("id").asText() + ": ";
            if (asyncBefore(template) != task.isCamundaAsyncBefore()) {
                problems.add(where + "asyncBefore " + asyncBefore(template) + " vs BPMN " + task.isCamundaAsyncBefore());
            }
            if (metadata.path("isForCompensation").asBoolean(false) != task.isForCompensation()) {
                problems.add(where + "isForCompensation differs from the BPMN");
            }
            if (task.isForCompensation() && !template.path("description").asText().contains("isForCompensation")) {
                problems.add(where + "a compensation handler's description must say isForCompensation");
            }
            if (task.isCamundaAsyncBefore() && !template.path("entriesVisible").asBoolean(false)) {
                problems.add(where + "entriesVisible must be true so the job settings (asynchronous continuations,"
                        + " multi-instance) stay visible in the Modeler");
            }
        }
        assertThat(problems).isEmpty();
    }

    /**
     * The retry cycle is the engine's default alone: no template binds, records or restates one,
     * so applying a template can never give a task a cycle of its own.
     */
    @Test
    void noTemplateCarriesARetryCycle() {
        assertThat(texts).isNotEmpty();
        for (Map.Entry<String, String> t : texts.entrySet()) {
            assertThat(t.getValue()).as(t.getKey())
                    .doesNotContainIgnoringCase("failedJobRetryTimeCycle")
                    .doesNotContain(RetryCycleTest.CYCLE);
        }
        for (JsonNode template : templates.values()) {
            for (JsonNode p : template.path("properties")) {
                assertThat(p.path("binding").path("name").asText()).as(template.path("id").asText())
                        .doesNotContainIgnoringCase("retry");
            }
        }
    }

    /**
     * The template that calls storageMigration passes every field of a migration's request, and each
     * of its defaults and choices is a value the migration accepts (what the engine makes of each
     * expression: a literal stays text, ${true} a Boolean, ${64} a Long, ${null} nothing).
     */
    @Test
    void theCallTemplatePassesEveryFieldOfTheRequestWithAcceptedValues() {
        JsonNode template = callTemplates.stream()
                .filter(t -> t.path("metadata").path("calledProcess").asText().equals(Bpmn.PROCESS_KEY))
                .findFirst().orElseThrow(() -> new AssertionError("no call-activity template for " + Bpmn.PROCESS_KEY));
        Map<String, List<String>> valuesByTarget = new TreeMap<>();
        for (JsonNode p : template.path("properties")) {
            JsonNode binding = p.path("binding");
            if (binding.path("name").asText().equals("calledElement")) {
                assertThat(p.path("value").asText()).isEqualTo(Bpmn.PROCESS_KEY);
            }
            if (!binding.path("type").asText().equals("camunda:in")) {
                continue;
            }
            assertThat(binding.path("expression").asBoolean()).as(binding.path("target").asText()).isTrue();
            List<String> values = new ArrayList<>(List.of(p.path("value").asText()));
            p.path("choices").forEach(c -> values.add(c.path("value").asText()));
            valuesByTarget.put(binding.path("target").asText(), values);
        }
        assertThat(valuesByTarget.keySet()).containsExactlyInAnyOrder(MigrationRequest.DOMAIN,
                MigrationRequest.DESTINATION_HOST, MigrationRequest.COPY_STORAGE, MigrationRequest.MIRROR_COPY_MODE,
                MigrationRequest.BANDWIDTH_MIBPS, MigrationRequest.MAX_DOWNTIME_MS, MigrationRequest.AUTO_CONVERGE,
                MigrationRequest.STALL_TIMEOUT_SECONDS, MigrationRequest.REQUIRE_TLS,
                MigrationRequest.APPROVE_SWITCHOVER, MigrationRequest.KEEP_SOURCE_DISKS);
        for (Map.Entry<String, List<String>> field : valuesByTarget.entrySet()) {
            for (String expression : field.getValue()) {
                Map<String, Object> input = new java.util.HashMap<>(Map.of("domain", "web1", "destinationHost", "host-b"));
                Object value = evaluated(expression);
                if (!field.getKey().equals("domain") && !field.getKey().equals("destinationHost")) {
                    input.put(field.getKey(), value);
                }
                assertThatCode(() -> MigrationRequest.parse(input)).as(field.getKey() + " = " + expression)
                        .doesNotThrowAnyException();
            }
        }
    }

    /** What the engine makes of a camunda:in source expression, for the forms the template uses. */
    private static Object evaluated(String expression) {
        if (!expression.startsWith("${")) {
            return expression;
        }
        String inner = expression.substring(2, expression.length() - 1);
        return switch (inner) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            case "null" -> null;
            default -> inner.matches("[0-9]+") ? (Object) Long.valueOf(inner) : expression;
        };
    }

    private static String delegateExpression(JsonNode template) {
        for (JsonNode p : template.path("properties")) {
            if ("camunda:delegateExpression".equals(p.path("binding").path("name").asText())) {
                return p.path("value").asText(null);
            }
        }
        return null;
    }

    private static boolean asyncBefore(JsonNode template) {
        for (JsonNode p : template.path("properties")) {
            if ("camunda:asyncBefore".equals(p.path("binding").path("name").asText())) {
                return p.path("value").asBoolean(false);
            }
        }
        return false;
    }
}
