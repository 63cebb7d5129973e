package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host the domain left holds nothing of it: its images of the copied disks are removed once the
 * destination's copies are durable (unless keepSourceDisks=true), no empty created-files folder is
 * left anywhere, so the domain can move back and forth between two hosts.
 */
class CleanHostsTest extends MigrationTestBase {

    @Test
    void aDomainMovesAToBToAToBAndEachHostItLeftHoldsNothingOfIt() throws Exception {
        String name = "ch-rt";
        Path original = startDomain(name, 64 * MiB, 8 * MiB);
        try (QmpClient qmp = tools(name)) {
            guestWrite(qmp);
        }

        moveAndCheck(name, hostA(), hostB());
        assertThat(original).as("the image the domain had on host-a").doesNotExist();
        moveAndCheck(name, hostB(), hostA());
        moveAndCheck(name, hostA(), hostB());

        stop(name);
        Path copy = hostB().storageDir().resolve(name + "-vda.qcow2");
        assertThat(TestImages.verify(copy, "qcow2", GUEST_PATTERN, GUEST_OFFSET, MiB)).as("the guest's write").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x11, MiB, 7 * MiB)).as("the data written before").isTrue();
    }

    @Test
    void keepSourceDisksKeepsTheSourceImage() throws Exception {
        String name = "ch-keep";
        Path original = startDomain(name, 32 * MiB, 4 * MiB);
        String id = migrate(name, Map.of("destinationHost", "host-b", Vars.KEEP_SOURCE_DISKS, true));
        awaitMigrated(id);
        assertThat(createdFilesFolders()).as("created-files folders").isEmpty();

        stop(name);
        assertThat(original).as("the source's image, kept").exists();
        assertThat(TestImages.compare(original, hostB().storageDir().resolve(name + "-vda.qcow2"))).isTrue();
    }

    @Test
    void anIncrementalCopyRemovesTheSourcesTopLayerAndKeepsItsBackingFile() throws Exception {
        String name = "ch-inc";
        Path base = TestImages.create(hostA().storageDir(), "ch-inc-template.qcow2", "qcow2", 32 * MiB);
        TestImages.write(base, "qcow2", 0x11, 0, 4 * MiB);
        String baseHash = sha256(base);
        Path top = TestImages.createOverlay(hostA().storageDir(), name + "-src-vda.qcow2", base, "qcow2");
        TestImages.write(top, "qcow2", 0x22, 8 * MiB, MiB);
        ResponseEntity<String> defined = api().exchange("/api/domains/" + name, HttpMethod.PUT, new HttpEntity<>(
                Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", top.toString(), "format", "qcow2")))), String.class);
        assertThat(defined.getStatusCode().is2xxSuccessful()).as(defined.getBody()).isTrue();
        api().postForEntity("/api/domains/" + name + "/start", null, String.class);

        String id = migrate(name, Map.of("destinationHost", "host-b", "copyStorage", "inc",
                Vars.KEEP_SOURCE_DISKS, false));
        awaitMigrated(id);
        Wait.until("the top layer removed", Duration.ofSeconds(10), () -> !Files.exists(top));
        assertThat(base).as("the backing file, which the copy still uses").exists();
        assertThat(sha256(base)).isEqualTo(baseHash);

        stop(name);
        Path copy = hostB().storageDir().resolve(name + "-vda.qcow2");
        assertThat(TestImages.verify(copy, "qcow2", 0x11, 0, 4 * MiB)).as("backing data seen through").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x22, 8 * MiB, MiB)).as("top layer copied").isTrue();
    }

    /** Migrates the domain from one host to the other; then the host it left holds nothing of it. */
    private void moveAndCheck(String name, Host from, Host to) throws Exception {
        String id = migrate(name, Map.of("destinationHost", to.name(), Vars.KEEP_SOURCE_DISKS, false));
        awaitMigrated(id);
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo(to.name());
        assertThat(domain.path("state").asText()).isEqualTo("running");
        // the images are removed once the step's commit is durable: just after the instance ended
        Wait.until(from.name() + " holds no image of " + name, Duration.ofSeconds(10),
                () -> filesOf(from.storageDir(), name).isEmpty());
        assertThat(from.domainDir(name)).as("the domain's folder on " + from.name()).doesNotExist();
        assertThat(filesOf(to.storageDir(), name)).as("its image on " + to.name())
                .containsExactly(name + "-vda.qcow2");
        assertThat(createdFilesFolders()).as("created-files folders").isEmpty();
    }

    private void awaitMigrated(String id) throws InterruptedException {
        awaitEnd(id, Duration.ofSeconds(120));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
    }

    /** The files in that folder whose name begins with the domain's. */
    private static List<String> filesOf(Path dir, String name) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(f -> f.startsWith(name + "-")).sorted()
                    .toList();
        }
    }

    /** The created-files journal folders on both hosts. */
    private List<Path> createdFilesFolders() {
        return Stream.of(hostA(), hostB()).map(h -> h.stateDir().resolve(".nbdflow-created"))
                .filter(Files::exists).toList();
    }
}
