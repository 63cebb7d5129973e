package io.nbdflow.e2e;

import io.nbdflow.migration.StorageTransport;
import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole application against real QEMU: a running guest with two qcow2 disks moves from
 * host-a to host-b (127.0.0.1 and 127.0.0.2 here, other machines in {@link SshMigrationEndToEndTest})
 * while the test writes into both disks during the mirror. The engine is named "default" so the
 * documented /engine-rest path works as written.
 */
@TestPropertySource(properties = {"camunda.bpm.generate-unique-process-engine-name=false",
        "camunda.bpm.process-engine-name=default"})
class MigrationEndToEndTest extends MigrationTestBase {

    @Test
    void guestWithTwoDisksMigratesThroughTheEngineRestApiWithWritesDuringTheMirror() throws Exception {
        Path vda = image("e2e1-src-vda.qcow2", 1024 * MiB);
        TestImages.write(seen(hostA(), vda), "qcow2", 0x11, 0, 200 * MiB);
        Path vdb = image("e2e1-src-vdb.qcow2", 64 * MiB);
        TestImages.write(seen(hostA(), vdb), "qcow2", 0x22, 0, 16 * MiB);
        define("e2e1", List.of(disk("vda", vda), disk("vdb", vdb)));
        assertThat(api().postForEntity("/api/domains/e2e1/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);

        // exactly the call a user makes to the engine REST API, written out as sent
        Map<String, Object> vars = new HashMap<>();
        vars.put("domain", Map.of("value", "e2e1", "type", "String"));
        vars.put("destinationHost", Map.of("value", "host-b", "type", "String"));
        vars.put("bandwidthMiBps", Map.of("value", 64, "type", "Long"));
        vars.put("keepSourceDisks", Map.of("value", true, "type", "Boolean")); // compared with the copies below
        ResponseEntity<JsonNode> started = api().postForEntity(
                documentedEngineRest() + "/process-definition/key/storageMigration/start", Map.of("variables", vars),
                JsonNode.class);
        assertThat(started.getStatusCode()).as(String.valueOf(started.getBody())).isEqualTo(HttpStatus.OK);
        String id = started.getBody().path("id").asText();

        // while the mirrors run, the guest writes into both disks (through the operators' monitor)
        try (QmpClient qmp = tools("e2e1")) {
            awaitMirrorJobs(qmp, 2);
            assertThat(SourceSide.mirrorJobs(qmp)).anyMatch(j -> !j.ready());
            guestWrite(qmp, "virtio-disk0", "write -P 0x77 512M 1M");
            guestWrite(qmp, "virtio-disk1", "write -P 0x78 32M 1M");
        }

        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> result = variables(id);
        assertThat(result.get(Vars.OUTCOME)).as("failureReason: %s", result.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(result.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.NBD.value());
        assertThat((Long) result.get(Vars.BYTES_MIRRORED)).isGreaterThanOrEqualTo(200 * MiB);
        // QEMU's own figure; it has been seen as 0 ms on a fast switchover, so only its presence is asserted
        assertThat((Long) result.get(Vars.DOWNTIME_MS)).isNotNull().isGreaterThanOrEqualTo(0L);
        assertThat((Long) result.get(Vars.TOTAL_TIME_MS)).isPositive();
        assertThat((String) result.get(Vars.COOKIE_BEGIN)).contains("<disk target='vda' size='1073741824'/>");
        assertThat((String) result.get(Vars.COOKIE_PREPARE)).containsPattern("<nbd port='\\d+'/>");

        // the guest runs on host-b with its new files; the source QEMU is gone
        JsonNode domain = api().getForObject("/api/domains/e2e1", JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        Path dstVda = hostB().storageDir().resolve("e2e1-vda.qcow2");
        Path dstVdb = hostB().storageDir().resolve("e2e1-vdb.qcow2");
        assertThat(domain.path("disks").findValuesAsText("file")).containsExactly(dstVda.toString(), dstVdb.toString());
        assertThat(seen(hostA(), hostA().domainDir("e2e1"))).doesNotExist();
        assertNothingListens(hostB());
        assertNoPortReserved(id);
        assertVariablesPlain(id);

        // the migration status API agrees
        JsonNode status = api().getForObject("/api/migrations/" + id, JsonNode.class);
        assertThat(status.path("phase").asText()).isEqualTo("ended");
        assertThat(status.path("outcome").asText()).isEqualTo(Vars.OUTCOME_MIGRATED);

        stop("e2e1");
        Path srcVdaSeen = seen(hostA(), vda);
        Path dstVdaSeen = seen(hostB(), dstVda);
        Path dstVdbSeen = seen(hostB(), dstVdb);
        assertThat(TestImages.compare(srcVdaSeen, dstVdaSeen)).as("vda copies identical").isTrue();
        assertThat(TestImages.compare(seen(hostA(), vdb), dstVdbSeen)).as("vdb copies identical").isTrue();
        assertThat(TestImages.verify(dstVdaSeen, "qcow2", 0x77, 512 * MiB, MiB)).as("guest write on vda").isTrue();
        assertThat(TestImages.verify(dstVdbSeen, "qcow2", 0x78, 32 * MiB, MiB)).as("guest write on vdb").isTrue();
        assertThat(TestImages.verify(dstVdaSeen, "qcow2", 0x11, 0, 200 * MiB)).isTrue();
        assertThat(Files.exists(srcVdaSeen)).as("the source's files stay").isTrue();
    }

    @Test
    void aSecondMigrationOfTheSameDomainIsRefused() throws Exception {
        Path vda = image("e2e2-src-vda.qcow2", 64 * MiB);
        define("e2e2", List.of(disk("vda", vda)));
        api().postForEntity("/api/domains/e2e2/start", null, String.class);
        String first = migrate("e2e2", Map.of("destinationHost", "host-b", "approveSwitchover", true));
        awaitActivity(first, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(60));
        assertThat(api().getForObject("/api/domains/e2e2", JsonNode.class).path("state").asText())
                .isEqualTo("migrating");

        String second = migrate("e2e2", Map.of("destinationHost", "host-b"));
        awaitEnd(second, Duration.ofSeconds(60));
        assertThat(variables(second).get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);
        assertThat((String) variables(second).get(Vars.FAILURE_REASON)).contains("already migrating");

        // the first one is untouched by the refusal; it completes once approved through the engine API.
        // A completion that decides nothing is refused and leaves the task open.
        String task = processEngine.getTaskService().createTaskQuery().processInstanceId(first).singleResult().getId();
        ResponseEntity<String> undecided = api().postForEntity(documentedEngineRest() + "/task/" + task + "/complete",
                Map.of("variables", Map.of()), String.class);
        assertThat(undecided.getStatusCode().is2xxSuccessful()).as(undecided.getBody()).isFalse();
        assertThat(undecided.getBody()).contains(Vars.SWITCHOVER_APPROVED + ": required");
        assertThat(processEngine.getTaskService().createTaskQuery().taskId(task).count()).isOne();
        ResponseEntity<String> approved = api().postForEntity(documentedEngineRest() + "/task/" + task + "/complete",
                switchoverDecision(true), String.class);
        assertThat(approved.getStatusCode().is2xxSuccessful()).as(approved.getBody()).isTrue();
        awaitEnd(first, Duration.ofSeconds(120));
        assertThat(variables(first).get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_MIGRATED);
        stop("e2e2");
    }

    // ---- helpers

    /** The engine REST API as the documentation writes it: the engine named "default". */
    String documentedEngineRest() {
        return "/engine-rest";
    }

    /** An empty qcow2 image of that size in host-a's storage folder; returns its path there. */
    private Path image(String name, long size) {
        Path dir = hostA().storageDir();
        TestImages.create(seen(hostA(), dir), name, "qcow2", size);
        return dir.resolve(name);
    }

    private static Map<String, Object> disk(String target, Path file) {
        return Map.of("target", target, "file", file.toString(), "format", "qcow2");
    }

    private void define(String name, List<Map<String, Object>> disks) {
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, org.springframework.http.HttpMethod.PUT,
                new org.springframework.http.HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1,
                        "disks", disks)), String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
    }

    void assertNothingListens(Host host) {
        assertThat(Ports.listeningInRange(host, hosts.ports())).as("ports listening on %s", host.name()).isEmpty();
    }
}
