package io.nbdflow.modeler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.ServiceTask;
import org.camunda.bpm.model.bpmn.instance.camunda.CamundaFailedJobRetryTimeCycle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Modeler's element templates (.camunda/element-templates/*.json) against the code and the
 * BPMN: they name existing beans, every delegate has one, and applying a template to its task
 * changes nothing (same async flag; retry cycle and compensation role recorded in metadata,
 * since Camunda 7 templates have no binding for either). Schema validity: tools/lint (LintTest).
 */
class ElementTemplatesTest {

    private static final String FOLDER = ".camunda/element-templates";

    private static Map<String, String> beans;
    /** Template by the bean its camunda:delegateExpression names. */
    private static final Map<String, JsonNode> templates = new TreeMap<>();

    @BeforeAll
    static void load() throws IOException {
        beans = ProjectFiles.processBeans();
        ObjectMapper json = new ObjectMapper();
        for (Path file : ProjectFiles.files(FOLDER, ".json")) {
            JsonNode root = json.readTree(file.toFile());
            for (JsonNode template : root.isArray() ? root : List.of(root)) {
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
            String retry = retryCycle(task);
            String templateRetry = metadata.path("failedJobRetryTimeCycle").asText(null);
            if (!String.valueOf(retry).equals(String.valueOf(templateRetry))) {
                problems.add(where + "failedJobRetryTimeCycle " + templateRetry + " vs BPMN " + retry);
            }
            if (metadata.path("isForCompensation").asBoolean(false) != task.isForCompensation()) {
                problems.add(where + "isForCompensation differs from the BPMN");
            }
            if (task.isForCompensation() && !template.path("description").asText().contains("isForCompensation")) {
                problems.add(where + "a compensation handler's description must say isForCompensation");
            }
            if (retry != null && !template.path("entriesVisible").asBoolean(false)) {
                problems.add(where + "entriesVisible must be true so the retry cycle stays editable");
            }
        }
        assertThat(problems).isEmpty();
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

    private static String retryCycle(ServiceTask task) {
        if (task.getExtensionElements() == null) {
            return null;
        }
        return task.getExtensionElements().getElementsQuery().filterByType(CamundaFailedJobRetryTimeCycle.class)
                .list().stream().map(c -> c.getTextContent().strip()).findFirst().orElse(null);
    }
}
