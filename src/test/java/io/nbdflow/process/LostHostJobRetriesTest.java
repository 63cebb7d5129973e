package io.nbdflow.process;

import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.StorageException;
import io.nbdflow.store.MigrationRecords;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.jobexecutor.FailedJobCommandFactory;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A job failing because a host does not answer keeps its retries and comes back 5 s later, for the
 * host-unreachable timeout from its first attempt, then counts down as any failure; past the
 * switchover it never counts down. Other failures count down at once. On the process tests' engine
 * (the application's retry cycle, no job executor: each attempt is run here), with its clock set.
 */
class LostHostJobRetriesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** The attempts of the cycle PT1S,PT5S,PT15S: the engine sets them at the first failure. */
    private static final int ATTEMPTS = 4;

    @RegisterExtension
    static ProcessEngineExtension engine = ProcessEngineExtension.builder()
            .configurationResource("process-test.camunda.cfg.xml").build();

    private static volatile RuntimeException failure;

    private FailedJobCommandFactory before;
    private MigrationRecords records;
    private String deploymentId;
    private long now;

    /** The step of the test process: fails with whatever the test chose. */
    public static class FailingStep implements JavaDelegate {
        @Override
        public void execute(DelegateExecution execution) {
            throw failure;
        }
    }

    @BeforeEach
    void install() {
        ProcessEngineConfigurationImpl configuration = configuration();
        records = new MigrationRecords(new JdbcTemplate(configuration.getDataSource()));
        before = configuration.getFailedJobCommandFactory();
        configuration.setFailedJobCommandFactory(new LostHostJobRetries(TIMEOUT, records).commands());
        BpmnModelInstance model = Bpmn.createExecutableProcess("lostHost").startEvent()
                .serviceTask("step").camundaAsyncBefore().camundaClass(FailingStep.class.getName()).endEvent().done();
        deploymentId = pe().getRepositoryService().createDeployment().addModelInstance("lostHost.bpmn", model)
                .deploy().getId();
        now = 1_800_000_000_000L;
        ClockUtil.setCurrentTime(new Date(now));
    }

    @AfterEach
    void uninstall() {
        ClockUtil.reset();
        configuration().setFailedJobCommandFactory(before);
        pe().getRepositoryService().deleteDeployment(deploymentId, true);
    }

    @Test
    void aLostHostKeepsTheRetriesForTheTimeoutThenCountsDown() {
        failure = new HostUnreachableException("host 'host-a' (10.0.0.1:22) does not answer", null);
        String id = pe().getRuntimeService().startProcessInstanceByKey("lostHost").getId();

        Job job = attempt(id, 0);
        assertThat(job.getRetries()).as("retries after the first attempt").isEqualTo(ATTEMPTS);
        assertThat(job.getDuedate()).as("next attempt").isEqualTo(new Date(now + 5_000));
        assertThat(job.getExceptionMessage()).contains("does not answer");

        job = attempt(id, 20);
        assertThat(job.getRetries()).as("retries 20 s on").isEqualTo(ATTEMPTS);
        assertThat(job.getDuedate()).isEqualTo(new Date(now + 25_000));

        job = attempt(id, 31);
        assertThat(job.getRetries()).as("retries once the timeout has passed").isEqualTo(ATTEMPTS - 1);
    }

    @Test
    void anyOtherFailureCountsDownAtOnce() {
        failure = new StorageException("qemu-img: disk full");
        String id = pe().getRuntimeService().startProcessInstanceByKey("lostHost").getId();
        assertThat(attempt(id, 0).getRetries()).isEqualTo(ATTEMPTS - 1);
    }

    @Test
    void pastTheSwitchoverALostHostNeverCountsDown() {
        failure = new StorageException("lost", new HostUnreachableException("host 'host-b' does not answer", null));
        String id = pe().getRuntimeService().startProcessInstanceByKey("lostHost").getId();
        records.begin(id, "d1", "host-a", "host-b", List.of("vda"), "{}");
        records.markSwitchoverStarted(id);
        try {
            assertThat(attempt(id, 0).getRetries()).isEqualTo(ATTEMPTS);
            assertThat(attempt(id, 600).getRetries()).as("ten minutes on").isEqualTo(ATTEMPTS);
        } finally {
            records.forget(id);
        }
    }

    /** Runs the instance's job at that many seconds after the start; returns it as it is then. */
    private Job attempt(String id, long seconds) {
        ClockUtil.setCurrentTime(new Date(now + seconds * 1000));
        Job job = pe().getManagementService().createJobQuery().processInstanceId(id).singleResult();
        assertThatThrownBy(() -> pe().getManagementService().executeJob(job.getId())).isNotNull();
        return pe().getManagementService().createJobQuery().jobId(job.getId()).singleResult();
    }

    private static ProcessEngine pe() {
        return engine.getProcessEngine();
    }

    private static ProcessEngineConfigurationImpl configuration() {
        return (ProcessEngineConfigurationImpl) pe().getProcessEngineConfiguration();
    }
}
