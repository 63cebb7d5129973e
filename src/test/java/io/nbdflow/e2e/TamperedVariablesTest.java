package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.domain.DomainRepository;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.store.MigrationRecords;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Process variables are input, never authority: a user of the engine API rewrites every variable
 * an undo could read while the migration waits for approval (through the variables API, and again
 * while completing the approval task with a refusal), pointing them at a file and a folder outside
 * the hosts' folders, a file of somebody else inside host-b's storage, a QEMU that is not the
 * migration's, and swapped hosts. The rollback still removes exactly what the migration created
 * and touches nothing else.
 */
class TamperedVariablesTest extends MigrationTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Autowired
    DomainRepository domains;
    @Autowired
    MigrationRecords records;

    @Test
    void theRollbackActsOnTheRecordsNotOnTheVariables() throws Exception {
        String name = "tv-tamper";
        startDomain(name, 32 * MiB, 8 * MiB);
        Path victimFile = testRoot().resolve("victim-file");
        Files.writeString(victimFile, "precious");
        Path victimDir = hostB().stateDir().resolve("../../victim-dir").normalize();
        Files.createDirectories(victimDir);
        Files.writeString(victimDir.resolve("inside"), "precious too");
        Files.createDirectories(hostB().storageDir());
        Path foreign = hostB().storageDir().resolve("somebody-elses.qcow2");
        Files.writeString(foreign, "not the migration's");
        Set<String> before = destinationStorage();

        Process unrelated = new ProcessBuilder("qemu-system-x86_64", "-machine", "none", "-nodefaults",
                "-display", "none", "-S", "-monitor", "none", "-serial", "none")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String id = migrate(name, Map.of("destinationHost", "host-b", "approveSwitchover", true));
            awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
            assertThat(QemuProcesses.isLiveQemu(unrelated.pid())).as("the unrelated QEMU runs").isTrue();
            Map<String, Object> real = processEngine.getRuntimeService().getVariables(id);
            long destinationPid = ((Number) real.get(Vars.DESTINATION_PID)).longValue();
            String plan = (String) real.get(Vars.DISK_PLAN);
            String createdFile = JSON.readValue((String) real.get(Vars.CREATED_FILES), List.class).get(0).toString();

            String files = JSON.writeValueAsString(List.of(victimFile.toString(), foreign.toString()));
            put(id, Vars.CREATED_FILES, files, "String");
            put(id, Vars.DOMAIN, "../../victim-dir", "String");
            put(id, Vars.DESTINATION_PID, unrelated.pid(), "Long");
            put(id, Vars.DESTINATION_HOST, "host-a", "String");
            put(id, Vars.SOURCE_HOST, "host-b", "String");
            put(id, Vars.DISK_PLAN, plan.replace(createdFile, victimFile.toString()), "String");
            put(id, Vars.NBD_PORT, 1, "Integer");
            put(id, Vars.MIGRATION_PORT, 2, "Integer");

            String task = processEngine.getTaskService().createTaskQuery().processInstanceId(id).singleResult()
                    .getId();
            ResponseEntity<String> declined = api().postForEntity(engineRest() + "/task/" + task + "/complete",
                    Map.of("variables", Map.of(
                            Vars.SWITCHOVER_APPROVED, Map.of("value", false, "type", "Boolean"),
                            Vars.DOMAIN, Map.of("value", "../../victim-dir", "type", "String"),
                            Vars.CREATED_FILES, Map.of("value", files, "type", "String"),
                            Vars.DESTINATION_PID, Map.of("value", unrelated.pid(), "type", "Long"),
                            Vars.DESTINATION_HOST, Map.of("value", "host-a", "type", "String"))),
                    String.class);
            assertThat(declined.getStatusCode().is2xxSuccessful()).as(declined.getBody()).isTrue();
            awaitEnd(id, Duration.ofSeconds(120));

            assertThat(variables(id).get(Vars.OUTCOME)).as("failureReason: %s", variables(id).get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_ROLLED_BACK);
            assertThat(victimFile).as("a file outside the hosts' folders").hasContent("precious");
            assertThat(victimDir.resolve("inside")).as("a folder outside the hosts' folders").exists();
            assertThat(foreign).as("a file in host-b's storage the migration did not create").exists();
            assertThat(Path.of(createdFile)).as("the file the migration created").doesNotExist();
            assertThat(QemuProcesses.isLiveQemu(unrelated.pid())).as("the unrelated QEMU").isTrue();
            assertThat(QemuProcesses.isLiveQemu(destinationPid)).as("the migration's destination QEMU").isFalse();
            RecordedUndoChecks.assertUndone(this, domains, records, name, id, destinationPid, before);
        } finally {
            unrelated.destroyForcibly();
            Files.deleteIfExists(foreign);
        }
    }

    @Test
    void theDomainMovesToTheDisksTheMigrationCreatedWhateverTheDiskPlanVariableSays() throws Exception {
        String name = "tv-plan";
        startDomain(name, 32 * MiB, 8 * MiB);
        Path victimFile = testRoot().resolve("victim-disk");
        Files.writeString(victimFile, "precious");

        String id = migrate(name, Map.of("destinationHost", "host-b", "approveSwitchover", true));
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(90));
        Map<String, Object> real = processEngine.getRuntimeService().getVariables(id);
        String createdFile = JSON.readValue((String) real.get(Vars.CREATED_FILES), List.class).get(0).toString();
        // the later steps (the switchover, the domain's new definition) must not take the plan from here
        put(id, Vars.DISK_PLAN, ((String) real.get(Vars.DISK_PLAN)).replace(createdFile, victimFile.toString()),
                "String");
        approve(id);
        awaitEnd(id, Duration.ofSeconds(120));

        assertThat(variables(id).get(Vars.OUTCOME)).as("failureReason: %s", variables(id).get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(domains.find(name).orElseThrow().disks()).extracting(d -> d.file())
                .as("the domain's disks on the destination").containsExactly(createdFile);
        assertThat(victimFile).hasContent("precious");
    }

    private void put(String id, String variable, Object value, String type) {
        ResponseEntity<String> r = api().exchange(engineRest() + "/process-instance/" + id + "/variables/" + variable,
                HttpMethod.PUT, new HttpEntity<>(Map.of("value", value, "type", type)), String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as("PUT %s: %s", variable, r.getBody()).isTrue();
    }
}
