package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every step of the NBD path acts on QEMU and the files, then loses its commit once, as when the
 * application dies between the two: an end listener throws after the delegate has done its work,
 * the transaction rolls back, and the job runs the step again. Each step must recognise its own
 * earlier work (a destination QEMU, files, an NBD server, mirrors, a running migration) and the
 * migration still ends with an identical copy and nothing left over.
 */
@Import(LostCommitTest.LoseFirstCommit.class)
class LostCommitTest extends MigrationTestBase {
    static final List<String> STEPS = List.of(Bpmn.INSPECT_SOURCE, Bpmn.CHECK_BLOCK_JOBS, Bpmn.PRECREATE_DISKS,
            Bpmn.START_DESTINATION, Bpmn.START_NBD_SERVER, Bpmn.MIRROR_DISKS, Bpmn.START_MIGRATION,
            Bpmn.SWITCH_OVER, Bpmn.RESUME_DESTINATION, Bpmn.STOP_SOURCE);
    /** process instance + step: the steps whose first commit was already thrown away. */
    static final Set<String> LOST = ConcurrentHashMap.newKeySet();
    /** domain → the activities whose first commit is lost in its migrations. */
    static final Map<String, List<String>> LOSE = new ConcurrentHashMap<>();

    @TestConfiguration
    static class LoseFirstCommit {
        @Bean
        AbstractProcessEnginePlugin loseFirstCommitOfEveryStep() {
            ExecutionListener loseOnce = x -> {
                if (LOSE.getOrDefault(String.valueOf(x.getVariable(Vars.DOMAIN)), List.of())
                        .contains(x.getCurrentActivityId())
                        && LOST.add(x.getProcessInstanceId() + "/" + x.getCurrentActivityId() + "/"
                        + x.getVariable(Vars.DISK))) {
                    throw new IllegalStateException("injected: the commit of " + x.getCurrentActivityId() + " is lost");
                }
            };
            return new AbstractProcessEnginePlugin() {
                @Override
                public void preInit(ProcessEngineConfigurationImpl configuration) {
                    if (configuration.getCustomPostBPMNParseListeners() == null) {
                        configuration.setCustomPostBPMNParseListeners(new ArrayList<>());
                    }
                    configuration.getCustomPostBPMNParseListeners().add(new AbstractBpmnParseListener() {
                        @Override
                        public void parseServiceTask(Element element, ScopeImpl scope, ActivityImpl activity) {
                            activity.addListener(ExecutionListener.EVENTNAME_END, loseOnce);
                        }
                    });
                }
            };
        }
    }

    @Test
    void everyStepWhoseCommitIsLostIsRedoneWithoutLeftovers() throws Exception {
        String name = "lost1";
        LOSE.put(name, STEPS);
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("vda", 64 * MiB);
        sizes.put("vdb", 32 * MiB);
        Path vda = startDomain(name, 128, sizes, 8 * MiB);
        Path vdb = hostA().storageDir().resolve(name + "-src-vdb.qcow2");
        Set<Path> destinationBefore = listing(hostB().storageDir());
        String id = migrate(name, Map.of("destinationHost", "host-b"));

        awaitEnd(id, Duration.ofSeconds(240));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        // every step really lost one commit (the mirror once per disk)
        assertThat(LOST.stream().filter(k -> k.startsWith(id)).map(k -> k.split("/")[1]).distinct())
                .containsExactlyInAnyOrderElementsOf(STEPS);

        // one destination QEMU (the domain's), exactly the two copies, no journal, no port, source gone
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        Path copyVda = hostB().storageDir().resolve(name + "-vda.qcow2");
        Path copyVdb = hostB().storageDir().resolve(name + "-vdb.qcow2");
        Set<Path> expected = new java.util.HashSet<>(destinationBefore);
        expected.addAll(List.of(copyVda, copyVdb));
        assertThat(listing(hostB().storageDir())).isEqualTo(expected);
        assertThat(hostB().stateDir().resolve(".nbdflow-created").resolve(id)).doesNotExist();
        assertThat(hostA().domainDir(name)).doesNotExist();
        assertThat(Ports.listeningInRange(hostB(), hosts.ports())).as("ports on host-b").isEmpty();
        assertThat(processEngine.getRuntimeService().createIncidentQuery().processInstanceId(id).count()).isZero();

        stop(name);
        assertThat(TestImages.compare(vda, copyVda)).as("vda identical").isTrue();
        assertThat(TestImages.compare(vdb, copyVdb)).as("vdb identical").isTrue();
    }

    /**
     * The rollback, too: the destination QEMU dies mid-mirror, and the first rollback (cancel on the
     * source, then every undo handler, in one job) loses its commit at the very end. The whole
     * rollback runs again over what the first one already undid, and still leaves nothing behind.
     */
    @Test
    void aRollbackWhoseCommitIsLostIsRedoneWithoutLeftovers() throws Exception {
        String name = "lost2";
        LOSE.put(name, List.of(Bpmn.RECORD_ROLLBACK));
        FaultScenario s = scenario(name, 64 * MiB, 24 * MiB, Map.of("destinationHost", "host-b"));
        String id = s.migrate(Map.of("destinationHost", "host-b", "bandwidthMiBps", 4));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            guestWrite(qmp);
            kill(hostB().domainDir(name).resolve(QemuInstance.PID_FILE));
        }
        s.awaitEnd(Duration.ofSeconds(120));
        assertThat(LOST).contains(id + "/" + Bpmn.RECORD_ROLLBACK + "/null");
        assertThat(s.variables().get("rollbackProblems")).as("everything undone").isNull();
        s.assertRolledBack();
        s.assertSameMigrationSucceeds();
    }

    private static Set<Path> listing(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return new java.util.HashSet<>(files.toList());
        }
    }
}
