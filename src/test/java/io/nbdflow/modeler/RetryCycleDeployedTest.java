package io.nbdflow.modeler;

import io.nbdflow.testsupport.SpringQemuTest;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole application's engine takes its default retry cycle from application.yaml (through the
 * Spring Boot starter's generic properties) and gives it to every job of the deployed process.
 */
class RetryCycleDeployedTest extends SpringQemuTest {

    @Test
    void theApplicationsEngineRetriesEveryJobWithTheConfiguredCycle() {
        ProcessEngineConfigurationImpl configuration =
                (ProcessEngineConfigurationImpl) processEngine.getProcessEngineConfiguration();
        assertThat(configuration.getFailedJobRetryTimeCycle()).isEqualTo(RetryCycleTest.CYCLE);
        RetryCycleTest.assertEveryJobRetriesWith(processEngine, RetryCycleTest.CYCLE);
    }
}
