package io.nbdflow.modeler;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.nbdflow.process.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.Activity;
import org.camunda.bpm.model.bpmn.instance.Association;
import org.camunda.bpm.model.bpmn.instance.BaseElement;
import org.camunda.bpm.model.bpmn.instance.BoundaryEvent;
import org.camunda.bpm.model.bpmn.instance.CompensateEventDefinition;
import org.camunda.bpm.model.bpmn.instance.Definitions;
import org.camunda.bpm.model.bpmn.instance.FlowNode;
import org.camunda.bpm.model.bpmn.instance.SequenceFlow;
import org.camunda.bpm.model.bpmn.instance.ServiceTask;
import org.camunda.bpm.model.bpmn.instance.bpmndi.BpmnEdge;
import org.camunda.bpm.model.bpmn.instance.bpmndi.BpmnShape;
import org.camunda.bpm.model.bpmn.instance.camunda.CamundaExecutionListener;
import org.camunda.bpm.model.bpmn.instance.camunda.CamundaFailedJobRetryTimeCycle;
import org.camunda.bpm.model.bpmn.instance.camunda.CamundaTaskListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Static checks of processes/storage-migration.bpmn as the Modeler and the engine see it: the beans
 * it names exist, every state-changing step has its undo wired as compensation, and the diagram
 * draws every element (else the Modeler silently drops it on the next save).
 */
class ProcessModelTest {

    /** The steps that change something on a host, each undone by a compensation handler. */
    static final Set<String> COMPENSATED_TASKS = Set.of(Bpmn.PRECREATE_DISKS, Bpmn.START_DESTINATION,
            Bpmn.START_NBD_SERVER, Bpmn.MIRROR_DISKS, Bpmn.START_MIGRATION, Bpmn.START_BLOCK_MIGRATION);

    private static final String MODELER_NS = "http://camunda.org/schema/modeler/1.0";

    private static BpmnModelInstance model;
    private static Map<String, String> beans;

    @BeforeAll
    static void load() {
        model = ProjectFiles.model();
        beans = ProjectFiles.processBeans();
    }

    @Test
    void everyServiceTaskNamesAnExistingProcessBean() {
        List<String> problems = new ArrayList<>();
        for (ServiceTask task : model.getModelElementsByType(ServiceTask.class)) {
            String bean = ProjectFiles.beanOf(task.getCamundaDelegateExpression());
            if (bean == null) {
                problems.add(task.getId() + ": camunda:delegateExpression is '" + task.getCamundaDelegateExpression()
                        + "', expected ${beanName}");
            } else if (!beans.containsKey(bean)) {
                problems.add(task.getId() + ": no @Component(\"" + bean + "\") in " + ProjectFiles.PROCESS_PACKAGE);
            }
        }
        for (CamundaExecutionListener listener : model.getModelElementsByType(CamundaExecutionListener.class)) {
            String expression = listener.getCamundaDelegateExpression();
            if (expression != null && !beans.containsKey(ProjectFiles.beanOf(expression))) {
                problems.add("execution listener " + expression + ": no such bean in " + ProjectFiles.PROCESS_PACKAGE);
            }
        }
        for (CamundaTaskListener listener : model.getModelElementsByType(CamundaTaskListener.class)) {
            String expression = listener.getCamundaDelegateExpression();
            if (expression != null && !beans.containsKey(ProjectFiles.beanOf(expression))) {
                problems.add("task listener " + expression + ": no such bean in " + ProjectFiles.PROCESS_PACKAGE);
            }
        }
        assertThat(model.getModelElementsByType(ServiceTask.class)).isNotEmpty();
        assertThat(problems).as("beans known: %s", beans.keySet()).isEmpty();
    }

    @Test
    void exactlyTheStateChangingStepsHaveACompensationBoundaryEvent() {
        Set<String> compensated = compensationBoundaryEvents().stream()
                .map(e -> e.getAttachedTo().getId()).collect(Collectors.toCollection(TreeSet::new));
        assertThat(compensated).containsExactlyInAnyOrderElementsOf(COMPENSATED_TASKS);
        for (String id : COMPENSATED_TASKS) {
            BaseElement task = model.getModelElementById(id);
            assertThat(task).as(id).isInstanceOf(ServiceTask.class);
            assertThat(((Activity) task).isForCompensation()).as(id + " is a step, not a handler").isFalse();
        }
    }

    @Test
    void everyCompensationBoundaryEventLeadsToOneSynchronousHandler() {
        Map<String, String> handlerOf = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (BoundaryEvent event : compensationBoundaryEvents()) {
            List<BaseElement> targets = model.getModelElementsByType(Association.class).stream()
                    .filter(a -> a.getSource() == event).map(Association::getTarget).toList();
            if (targets.size() != 1 || !(targets.get(0) instanceof ServiceTask handler)) {
                problems.add(event.getId() + ": expected one association to a service task, found " + targets);
                continue;
            }
            handlerOf.put(event.getAttachedTo().getId(), handler.getId());
            if (!handler.isForCompensation()) {
                problems.add(handler.getId() + ": isForCompensation must be true");
            }
            if (handler.isCamundaAsyncBefore() || handler.isCamundaAsyncAfter()) {
                problems.add(handler.getId() + ": a compensation handler must not be asynchronous");
            }
            if (!handler.getIncoming().isEmpty() || !handler.getOutgoing().isEmpty()) {
                problems.add(handler.getId() + ": a compensation handler has no sequence flows");
            }
        }
        assertThat(problems).isEmpty();
        assertThat(handlerOf.keySet()).containsExactlyInAnyOrderElementsOf(COMPENSATED_TASKS);
        // no handler without a step: each isForCompensation activity hangs on exactly one boundary event
        Set<String> handlers = model.getModelElementsByType(Activity.class).stream()
                .filter(Activity::isForCompensation).map(Activity::getId).collect(Collectors.toSet());
        assertThat(handlers).containsExactlyInAnyOrderElementsOf(handlerOf.values());
    }

    @Test
    void everyFlowNodeSequenceFlowAndAssociationIsDrawn() {
        Set<String> shapes = model.getModelElementsByType(BpmnShape.class).stream()
                .filter(s -> s.getBpmnElement() != null).map(s -> s.getBpmnElement().getId())
                .collect(Collectors.toSet());
        Set<String> edges = model.getModelElementsByType(BpmnEdge.class).stream()
                .filter(e -> e.getBpmnElement() != null).map(e -> e.getBpmnElement().getId())
                .collect(Collectors.toSet());
        List<String> missing = new ArrayList<>();
        model.getModelElementsByType(FlowNode.class).stream().map(FlowNode::getId)
                .filter(id -> !shapes.contains(id)).forEach(id -> missing.add("shape for " + id));
        model.getModelElementsByType(SequenceFlow.class).stream().map(SequenceFlow::getId)
                .filter(id -> !edges.contains(id)).forEach(id -> missing.add("edge for " + id));
        model.getModelElementsByType(Association.class).stream().map(Association::getId)
                .filter(id -> !edges.contains(id)).forEach(id -> missing.add("edge for " + id));
        assertThat(missing).isEmpty();
        assertThat(shapes).hasSizeGreaterThanOrEqualTo(model.getModelElementsByType(FlowNode.class).size());
    }

    /**
     * No element sets its own retry cycle (neither a task nor a multi-instance loop nor an event):
     * every job retries with the engine's default, set once (RetryCycleTest).
     */
    @Test
    void noElementSetsItsOwnRetryCycle() throws IOException {
        assertThat(model.getModelElementsByType(CamundaFailedJobRetryTimeCycle.class)).isEmpty();
        assertThat(Files.readString(ProjectFiles.bpmnFile()))
                .doesNotContainIgnoringCase("failedJobRetryTimeCycle")
                .doesNotContain(RetryCycleTest.CYCLE);
    }

    @Test
    void definitionsTargetCamundaPlatform7() {
        Definitions definitions = model.getDefinitions();
        assertThat(definitions.getAttributeValueNs(MODELER_NS, "executionPlatform")).isEqualTo("Camunda Platform");
        // the Modeler offers 7.x features (forms, templates) by this version
        assertThat(definitions.getAttributeValueNs(MODELER_NS, "executionPlatformVersion")).startsWith("7.24");
    }

    private static List<BoundaryEvent> compensationBoundaryEvents() {
        return model.getModelElementsByType(BoundaryEvent.class).stream()
                .filter(e -> e.getEventDefinitions().stream().anyMatch(d -> d instanceof CompensateEventDefinition))
                .toList();
    }
}
