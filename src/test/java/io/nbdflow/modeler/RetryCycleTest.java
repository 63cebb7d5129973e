package io.nbdflow.modeler;

import io.nbdflow.process.Bpmn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.RepositoryServiceImpl;
import org.camunda.bpm.engine.impl.bpmn.parser.DefaultFailedJobParseListener;
import org.camunda.bpm.engine.impl.bpmn.parser.FailedJobRetryConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.repository.ProcessDefinition;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.model.bpmn.instance.ServiceTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.core.io.FileSystemResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Failed jobs are retried by one rule, written once: the engine's default retry cycle, property
 * {@value #PROPERTY} in src/main/resources/application.yaml. The process tests' engine
 * (process-test.camunda.cfg.xml) reads that same value, no BPMN element or element template sets
 * a cycle of its own (ProcessModelTest, ElementTemplatesTest), and the engine gives the default to
 * every job of the process: each step, the rollback, the mirror of each disk.
 */
@Deployment(resources = "processes/storage-migration.bpmn")
class RetryCycleTest {

    /** A failed attempt is retried 1 s, 5 s, then 15 s later: four attempts in all. */
    static final String CYCLE = "PT1S,PT5S,PT15S";
    static final String PROPERTY = "camunda.bpm.generic-properties.properties.failed-job-retry-time-cycle";

    @RegisterExtension
    static ProcessEngineExtension engine = ProcessEngineExtension.builder()
            .configurationResource("process-test.camunda.cfg.xml").build();

    @Test
    void theApplicationSetsTheEngineDefault() {
        YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
        yaml.setResources(new FileSystemResource(ProjectFiles.root().resolve("src/main/resources/application.yaml")));
        Properties properties = yaml.getObject();
        assertThat(properties).isNotNull();
        assertThat(properties.getProperty(PROPERTY)).isEqualTo(CYCLE);
    }

    @Test
    void theProcessTestsEngineReadsTheSameValue() {
        ProcessEngineConfigurationImpl configuration =
                (ProcessEngineConfigurationImpl) engine.getProcessEngine().getProcessEngineConfiguration();
        assertThat(configuration.getFailedJobRetryTimeCycle()).isEqualTo(CYCLE);
    }

    @Test
    void everyJobOfTheProcessRetriesWithTheDefault() {
        assertEveryJobRetriesWith(engine.getProcessEngine(), CYCLE);
    }

    /**
     * Every asynchronous activity of the deployed storageMigration (the jobs: each step's
     * asyncBefore, the multi-instance body of Mirror disks and its per-disk jobs, the rollback's
     * Cancel source jobs) carries the retry configuration parsed from cycle.
     */
    static void assertEveryJobRetriesWith(ProcessEngine processEngine, String cycle) {
        ProcessDefinition definition = processEngine.getRepositoryService().createProcessDefinitionQuery()
                .processDefinitionKey("storageMigration").latestVersion().singleResult();
        assertThat(definition).isNotNull();
        ProcessDefinitionEntity deployed = (ProcessDefinitionEntity)
                ((RepositoryServiceImpl) processEngine.getRepositoryService()).getDeployedProcessDefinition(definition.getId());

        Map<String, ActivityImpl> async = new TreeMap<>();
        collectAsync(deployed, async);
        // the job of every asynchronous service task in the file, and both jobs of the multi-instance
        List<String> expected = new ArrayList<>();
        for (ServiceTask task : ProjectFiles.model().getModelElementsByType(ServiceTask.class)) {
            if (task.isCamundaAsyncBefore() || task.isCamundaAsyncAfter()) {
                expected.add(task.getLoopCharacteristics() == null ? task.getId() : task.getId() + "#multiInstanceBody");
            }
        }
        assertThat(async.keySet()).containsAll(expected)
                .contains(Bpmn.MIRROR_DISKS, Bpmn.MIRROR_DISKS + "#multiInstanceBody", Bpmn.CANCEL_SOURCE_JOBS,
                        Bpmn.INSPECT_SOURCE, Bpmn.START_NBD_SERVER, Bpmn.RESUME_DESTINATION);

        List<String> intervals = List.of(cycle.split(","));
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, ActivityImpl> a : async.entrySet()) {
            FailedJobRetryConfiguration retry =
                    a.getValue().getProperties().get(DefaultFailedJobParseListener.FAILED_JOB_CONFIGURATION);
            if (retry == null) {
                problems.add(a.getKey() + ": no retry configuration (the engine's standard strategy would apply)");
            } else if (retry.getRetries() != intervals.size() + 1 || !intervals.equals(retry.getRetryIntervals())) {
                // the engine counts attempts: the first and one per interval
                problems.add(a.getKey() + ": " + retry.getRetries() + " attempts, waits " + retry.getRetryIntervals());
            }
        }
        assertThat(problems).isEmpty();
    }

    private static void collectAsync(ScopeImpl scope, Map<String, ActivityImpl> async) {
        for (ActivityImpl activity : scope.getActivities()) {
            if (activity.isAsyncBefore() || activity.isAsyncAfter()) {
                async.put(activity.getId(), activity);
            }
            collectAsync(activity, async);
        }
    }
}
