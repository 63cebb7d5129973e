package io.nbdflow.application;

import io.nbdflow.process.Bpmn;
import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.RepositoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.camunda.bpm.engine.runtime.ActivityInstance;
import org.camunda.bpm.engine.runtime.TransitionInstance;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.FlowElement;
import org.camunda.bpm.model.xml.instance.ModelElementInstance;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a running migration is, named as the diagram in Cockpit names the steps: the activities
 * it is in now, read from the engine's activity-instance tree. That tree also holds an execution
 * waiting to continue at an asynchronous step (a transition instance), so the phase between two
 * steps is the next step's name, never a blank. A multi-instance activity's body (an id ending in
 * {@code #multiInstanceBody}) is named after the activity it repeats.
 */
@Component
class MigrationPhase {
    private static final String MULTI_INSTANCE_BODY = "#multiInstanceBody";

    private final RuntimeService runtime;
    private final RepositoryService repository;
    private final HistoryService history;

    MigrationPhase(RuntimeService runtime, RepositoryService repository, HistoryService history) {
        this.runtime = runtime;
        this.repository = repository;
        this.history = history;
    }

    /** The phase's name and stage, and the step of the main flow it is at (null if none). */
    record Phase(String name, MigrationEta.Stage stage, String step) {
    }

    Phase of(String processInstanceId, String processDefinitionId) {
        BpmnModelInstance model = repository.getBpmnModelInstance(processDefinitionId);
        List<String> ids = new ArrayList<>();
        ActivityInstance tree = runtime.getActivityInstance(processInstanceId);
        if (tree != null) {
            leaves(tree, ids);
        }
        if (ids.isEmpty()) {
            // between the instance's end and its history saying so, or before anything began
            List<HistoricActivityInstance> last = history.createHistoricActivityInstanceQuery()
                    .processInstanceId(processInstanceId).orderByHistoricActivityInstanceStartTime().desc()
                    .listPage(0, 1);
            if (last.isEmpty()) {
                return new Phase(MigrationView.PHASE_STARTING, MigrationEta.Stage.BEFORE_COPY, null);
            }
            ids.add(last.get(0).getActivityId());
        }
        Set<String> names = new LinkedHashSet<>();
        // a rollback interrupts the main flow: then only its own steps (stage OTHER) are left
        MigrationEta.Stage stage = MigrationEta.Stage.OTHER;
        String step = null;
        for (String id : ids) {
            String activity = inner(id);
            names.add(name(model, activity));
            if (stage == MigrationEta.Stage.OTHER) {
                stage = stage(activity);
                step = stage == MigrationEta.Stage.OTHER ? null : activity;
            }
        }
        return new Phase(String.join(", ", names), stage, step);
    }

    /** The innermost activity instances and the waiting transitions, in the tree's order. */
    private static void leaves(ActivityInstance instance, List<String> out) {
        ActivityInstance[] children = instance.getChildActivityInstances();
        TransitionInstance[] transitions = instance.getChildTransitionInstances();
        if (children.length == 0 && transitions.length == 0 && instance.getParentActivityInstanceId() != null) {
            out.add(instance.getActivityId());
        }
        for (ActivityInstance child : children) {
            leaves(child, out);
        }
        for (TransitionInstance t : transitions) {
            out.add(t.getActivityId());
        }
    }

    static String inner(String activityId) {
        return activityId.endsWith(MULTI_INSTANCE_BODY)
                ? activityId.substring(0, activityId.length() - MULTI_INSTANCE_BODY.length()) : activityId;
    }

    /** The element's name in the diagram; an unnamed one's id made readable ("Task_MirrorDisks" → "Mirror disks"). */
    static String name(BpmnModelInstance model, String activityId) {
        ModelElementInstance element = model == null ? null : model.getModelElementById(activityId);
        if (element instanceof FlowElement f && f.getName() != null && !f.getName().isBlank()) {
            return f.getName().strip();
        }
        return readable(activityId);
    }

    static String readable(String id) {
        String words = id.substring(id.indexOf('_') + 1).replaceAll("([a-z0-9])([A-Z])", "$1 $2")
                .replace('_', ' ').strip().toLowerCase(java.util.Locale.ROOT);
        return words.isEmpty() ? "step" : Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }

    static MigrationEta.Stage stage(String activityId) {
        return switch (activityId) {
            case Bpmn.INSPECT_SOURCE, Bpmn.CHECK_BLOCK_JOBS, Bpmn.PRECREATE_DISKS, Bpmn.START_DESTINATION,
                 Bpmn.START_NBD_SERVER -> MigrationEta.Stage.BEFORE_COPY;
            case Bpmn.MIRROR_DISKS, Bpmn.WAIT_STEADY_STATE -> MigrationEta.Stage.MIRROR;
            case Bpmn.APPROVE_SWITCHOVER -> MigrationEta.Stage.APPROVAL;
            case Bpmn.START_MIGRATION, Bpmn.WAIT_SWITCHOVER_POINT -> MigrationEta.Stage.RAM;
            default -> Bpmn.PAST_SWITCHOVER.contains(activityId) ? MigrationEta.Stage.SWITCHOVER
                    : MigrationEta.Stage.OTHER;
        };
    }
}
