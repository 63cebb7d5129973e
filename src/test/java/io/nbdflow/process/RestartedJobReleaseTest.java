package io.nbdflow.process;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.repository.Deployment;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Jobs a crashed run of this node left locked are released; jobs of other nodes are not. */
class RestartedJobReleaseTest {

    @RegisterExtension
    static ProcessEngineExtension engine = ProcessEngineExtension.builder()
            .configurationResource("process-test.camunda.cfg.xml").build();

    private String deploymentId;

    @AfterEach
    void undeploy() {
        if (deploymentId != null) {
            engine.getRepositoryService().deleteDeployment(deploymentId, true);
        }
    }

    @Test
    void onlyJobsLockedUnderThisNodesNameAreReleased() throws Exception {
        ProcessEngine pe = engine.getProcessEngine();
        BpmnModelInstance model = Bpmn.createExecutableProcess("lockTest").startEvent()
                .serviceTask("step").camundaAsyncBefore().camundaExpression("${true}").endEvent().done();
        Deployment deployment = pe.getRepositoryService().createDeployment().addModelInstance("lockTest.bpmn", model)
                .deploy();
        deploymentId = deployment.getId();
        pe.getRuntimeService().startProcessInstanceByKey("lockTest");
        pe.getRuntimeService().startProcessInstanceByKey("lockTest");
        List<Job> jobs = pe.getManagementService().createJobQuery().list();
        assertThat(jobs).hasSize(2);
        // as the job executors left them: locked for another 5 minutes
        lock(pe, jobs.get(0).getId(), "nbdflow@this-node");
        lock(pe, jobs.get(1).getId(), "nbdflow@other-node");

        assertThat(RestartedJobRelease.release(pe, "nbdflow@this-node")).isEqualTo(1);

        assertThat(lockOwner(pe, jobs.get(0).getId())).as("this node's job").isNull();
        assertThat(lockOwner(pe, jobs.get(1).getId())).as("the other node's job").isEqualTo("nbdflow@other-node");
        // and the released job is now what an acquisition picks up: it runs
        pe.getManagementService().executeJob(jobs.get(0).getId());
        assertThat(pe.getManagementService().createJobQuery().jobId(jobs.get(0).getId()).count()).isZero();
    }

    private static DataSource dataSource(ProcessEngine pe) {
        return ((ProcessEngineConfigurationImpl) pe.getProcessEngineConfiguration()).getDataSource();
    }

    private static void lock(ProcessEngine pe, String jobId, String owner) throws Exception {
        try (Connection c = dataSource(pe).getConnection();
             PreparedStatement s = c.prepareStatement(
                     "update ACT_RU_JOB set LOCK_OWNER_ = ?, LOCK_EXP_TIME_ = ? where ID_ = ?")) {
            s.setString(1, owner);
            s.setTimestamp(2, Timestamp.from(Instant.now().plus(5, ChronoUnit.MINUTES)));
            s.setString(3, jobId);
            assertThat(s.executeUpdate()).isEqualTo(1);
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }
    }

    private static String lockOwner(ProcessEngine pe, String jobId) throws Exception {
        try (Connection c = dataSource(pe).getConnection();
             PreparedStatement s = c.prepareStatement("select LOCK_OWNER_ from ACT_RU_JOB where ID_ = ?")) {
            s.setString(1, jobId);
            try (ResultSet r = s.executeQuery()) {
                assertThat(r.next()).isTrue();
                return r.getString(1);
            }
        }
    }
}
