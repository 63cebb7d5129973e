package io.nbdflow.ops;

import io.nbdflow.process.Bpmn;

import java.util.ArrayList;

import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.bpmn.parser.BpmnParseListener;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.springframework.stereotype.Component;

/**
 * Feeds {@link MigrationMetrics} without touching the BPMN or the delegates: while the engine
 * parses the storageMigration process (at deployment, and whenever it reloads the definition), a
 * parse listener attaches {@link MigrationMetricsListener} to the process's start and end. They
 * are built-in listeners, so they also run when an instance is deleted with skipCustomListeners,
 * and Cockpit does not show them as part of the model. The Camunda starter applies every
 * ProcessEnginePlugin bean.
 */
@Component
public class MigrationMetricsPlugin extends AbstractProcessEnginePlugin {

    static final String PROCESS_KEY = Bpmn.PROCESS_KEY;

    private final MigrationMetrics metrics;

    public MigrationMetricsPlugin(MigrationMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        if (configuration.getCustomPostBPMNParseListeners() == null) {
            configuration.setCustomPostBPMNParseListeners(new ArrayList<>());
        }
        configuration.getCustomPostBPMNParseListeners().add(parseListener());
    }

    private BpmnParseListener parseListener() {
        MigrationMetricsListener listener = new MigrationMetricsListener(metrics);
        return new AbstractBpmnParseListener() {
            @Override
            public void parseProcess(Element processElement, ProcessDefinitionEntity processDefinition) {
                if (PROCESS_KEY.equals(processDefinition.getKey())) {
                    processDefinition.addBuiltInListener(ExecutionListener.EVENTNAME_START, listener);
                    processDefinition.addBuiltInListener(ExecutionListener.EVENTNAME_END, listener);
                }
            }
        };
    }
}
