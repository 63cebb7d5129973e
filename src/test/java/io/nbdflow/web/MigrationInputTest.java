package io.nbdflow.web;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.domain.DomainRepository;
import io.nbdflow.host.DiskDefinition;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestImages;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * POST /api/domains/{name}/migrate refuses bad input up front, 4xx naming the field, and starts
 * nothing; the engine's own start refuses the same input by ending "refused".
 */
class MigrationInputTest extends SpringQemuTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Autowired
    DomainRepository domains;

    /** A defined (not running) domain on host-a with one disk in the allowed source folder. */
    private String definedDomain() throws Exception {
        String name = "mi-" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createDirectories(testRoot().resolve(NbdflowTestContext.SOURCE_IMAGES));
        Path vda = TestImages.create(dir, name + "-vda.qcow2", "qcow2", 16 * MiB);
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, org.springframework.http.HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 64, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", vda.toString(), "format", "qcow2")))), String.class);
        assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(HttpStatus.OK);
        return name;
    }

    private ResponseEntity<String> migrate(String name, String body) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        return api().postForEntity("/api/domains/" + name + "/migrate", new HttpEntity<>(body, headers), String.class);
    }

    private long instancesOf(String businessKey) {
        return processEngine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey(Bpmn.PROCESS_KEY).processInstanceBusinessKey(businessKey).count();
    }

    private void assertRefused(ResponseEntity<String> r, HttpStatus status, String field) throws Exception {
        assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(status);
        JsonNode body = JSON.readTree(r.getBody());
        if (field != null) {
            assertThat(body.path("field").asText()).as(r.getBody()).isEqualTo(field);
            assertThat(body.path("detail").asText()).startsWith(field + ": ");
        }
        assertThat(r.getBody()).hasSizeLessThan(600).doesNotContain("Exception");
    }

    @Test
    void badRequestsAreRefusedUpFrontNamingTheField() throws Exception {
        String name = definedDomain();
        long before = processEngine.getHistoryService().createHistoricProcessInstanceQuery().count();

        String longName = "n".repeat(300);
        assertRefused(migrate(longName, "{\"destinationHost\": \"host-b\"}"), HttpStatus.BAD_REQUEST, "domain");
        assertRefused(migrate(name, "{\"destinationHost\": \"" + "h".repeat(5000) + "\"}"),
                HttpStatus.BAD_REQUEST, "destinationHost");
        assertRefused(migrate(name, "{}"), HttpStatus.BAD_REQUEST, "destinationHost");
        assertRefused(migrate(name, "{\"destinationHost\": \"host-b\", \"bandwidthMiBps\": \"x\"}"),
                HttpStatus.BAD_REQUEST, "bandwidthMiBps");
        assertRefused(migrate(name, "{\"destinationHost\": \"host-b\", \"bandwidthMiBps\": 1.5}"),
                HttpStatus.BAD_REQUEST, "bandwidthMiBps");
        assertRefused(migrate(name, "{\"destinationHost\": \"host-b\", \"bandwidthMiBps\": -1}"),
                HttpStatus.BAD_REQUEST, "bandwidthMiBps");
        assertRefused(migrate(name, "{\"destinationHost\": \"host-b\", \"tunnelled\": \"yes please\"}"),
                HttpStatus.BAD_REQUEST, "tunnelled");
        assertRefused(migrate(name, "{\"destinationHost\": \"host-b\", \"copyStorage\": \"" + "c".repeat(5000) + "\"}"),
                HttpStatus.BAD_REQUEST, "copyStorage");
        assertRefused(migrate(name, "{\"destinationHost\": \"host-b\", \"migrateDisks\": \"" + "vda,".repeat(2000) + "\"}"),
                HttpStatus.BAD_REQUEST, "migrateDisks");
        // a domain that does not exist: 404 at once, not a migration that ends refused later
        String ghost = "ghost-" + UUID.randomUUID();
        assertRefused(migrate(ghost, "{\"destinationHost\": \"host-b\"}"), HttpStatus.NOT_FOUND, null);

        assertThat(instancesOf(name)).isZero();
        assertThat(instancesOf(ghost)).isZero();
        assertThat(processEngine.getHistoryService().createHistoricProcessInstanceQuery().count()).isEqualTo(before);
    }

    @Test
    void theEngineStartRefusesTheSameInput() throws Exception {
        String name = definedDomain();
        Map<String, Object> vars = new HashMap<>();
        vars.put(Vars.DOMAIN, name);
        vars.put(Vars.DESTINATION_HOST, "host-b");
        vars.put(Vars.BANDWIDTH_MIBPS, 1.5);
        String id = processEngine.getRuntimeService().startProcessInstanceByKey(Bpmn.PROCESS_KEY, name, vars).getId();
        awaitEnd(id, Duration.ofSeconds(60));
        assertThat(variables(id).get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);
        assertThat((String) variables(id).get(Vars.FAILURE_REASON)).contains("bandwidthMiBps");
    }

    @Test
    void aStoredDefinitionWithADiskOutsideTheImageDirsIsNotMigrated() throws Exception {
        // a definition from before the rule: written to the database directly, not through the API
        String name = "old-" + UUID.randomUUID().toString().substring(0, 8);
        domains.save(new DomainDefinition(name, "host-a", 64, 1, UUID.randomUUID().toString(),
                List.of(new DiskDefinition("vda", "/etc/passwd", "raw", false))));

        ResponseEntity<String> r = migrate(name, "{\"destinationHost\": \"host-b\"}");
        assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(HttpStatus.CREATED);
        String id = JSON.readTree(r.getBody()).path("processInstanceId").asText();
        awaitEnd(id, Duration.ofSeconds(60));

        assertThat(variables(id).get(Vars.OUTCOME)).isEqualTo(Vars.OUTCOME_REFUSED);
        assertThat((String) variables(id).get(Vars.FAILURE_REASON)).startsWith("disks[0].file: ")
                .contains("outside the image-dirs");
        assertThat(domains.migrationOf(name)).isEmpty();
        try (var files = Files.list(hostB().storageDir())) {
            assertThat(files.map(Path::getFileName).map(Path::toString)).noneMatch(f -> f.startsWith(name));
        }
    }
}
