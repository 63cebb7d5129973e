package io.nbdflow.process;

import io.nbdflow.process.undo.RecordedUndo;
import io.nbdflow.store.MigrationRecords;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.bpmn.parser.BpmnParseListener;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Lazy;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps {@link MigrationRecords} in step with the process, without touching the BPMN: when
 * "Switch over" starts, the migration is marked past the point of no return; when an instance
 * ends normally its records are dropped (what it created is undone, or is now the domain's);
 * when an instance is deleted (Cockpit's cancel, {@code DELETE /engine-rest/process-instance})
 * before the switchover, everything it created is undone from the records at once, like an abort.
 * A deletion after the switchover is refused: the guest may already run on the destination, and
 * the migration completes on its own. The end listener is an ordinary (custom) listener, so a
 * deletion with {@code skipCustomListeners=true} bypasses it; the reconciler then cleans up.
 */
@Component
public class MigrationRecordsPlugin extends AbstractProcessEnginePlugin {
    private static final Logger log = LoggerFactory.getLogger(MigrationRecordsPlugin.class);

    private final MigrationRecords records;
    private final RecordedUndo undo;

    public MigrationRecordsPlugin(MigrationRecords records, @Lazy RecordedUndo undo) {
        this.records = records;
        this.undo = undo;
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        if (configuration.getCustomPostBPMNParseListeners() == null) {
            configuration.setCustomPostBPMNParseListeners(new ArrayList<>());
        }
        configuration.getCustomPostBPMNParseListeners().add(parseListener());
    }

    private BpmnParseListener parseListener() {
        ExecutionListener switchover = execution -> records.markSwitchoverStarted(execution.getProcessInstanceId());
        ExecutionListener end = this::ended;
        return new AbstractBpmnParseListener() {
            @Override
            public void parseProcess(Element processElement, ProcessDefinitionEntity processDefinition) {
                if (Bpmn.PROCESS_KEY.equals(processDefinition.getKey())) {
                    processDefinition.addListener(ExecutionListener.EVENTNAME_END, end);
                }
            }

            @Override
            public void parseServiceTask(Element element, ScopeImpl scope, ActivityImpl activity) {
                if (Bpmn.SWITCH_OVER.equals(activity.getId())
                        && activity.getProcessDefinition() instanceof ProcessDefinitionEntity p
                        && Bpmn.PROCESS_KEY.equals(p.getKey())) {
                    activity.addBuiltInListener(ExecutionListener.EVENTNAME_START, switchover);
                }
            }
        };
    }

    private void ended(DelegateExecution execution) {
        String id = execution.getProcessInstanceId();
        if (!execution.isCanceled()) {
            if (records.facts(id).isEmpty() && records.hasResources(id)) {
                // rolled back while a destination did not answer (RecordRollbackDelegate dropped the
                // facts): what is left there is the reconciler's, from these records
                log.info("migration {} ended; what could not be removed on an unreachable host is left to the "
                        + "reconciler", id);
                return;
            }
            records.forget(id);
            return;
        }
        Optional<MigrationRecords.Facts> facts = records.facts(id);
        if (facts.isPresent() && facts.get().switchoverStarted()) {
            throw new ProcessEngineException("migration " + id + " of '" + facts.get().domain()
                    + "' is past the switchover: the guest may already run on " + facts.get().destinationHost()
                    + ", so it cannot be cancelled; it completes on its own");
        }
        try {
            List<String> done = undo.undoAll(id);
            log.info("migration {} deleted before the switchover, undone: {}", id, done);
        } catch (Exception e) {
            // what failed keeps its record: the reconciler tries again
            log.warn("migration {} deleted; undoing it failed, the reconciler will retry: {}", id, e.toString());
        }
    }
}
