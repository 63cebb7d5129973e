package io.nbdflow.domain;

import static io.nbdflow.testsupport.TestImages.MiB;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.host.Monitors;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestImages;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/** The domain API over HTTP, with real QEMU guests. */
class DomainApiTest extends SpringQemuTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** This test's own folder in the hosts' allowed image folder (root/src). */
    Path images;

    @BeforeEach
    void imagesFolder() throws Exception {
        images = Files.createDirectories(testRoot().resolve(NbdflowTestContext.SOURCE_IMAGES)
                .resolve("t" + COUNTER.incrementAndGet()));
    }

    @Autowired
    Monitors monitors;

    private static String uniqueName(String prefix) {
        return prefix + "-" + COUNTER.incrementAndGet();
    }

    private Map<String, Object> definition(String host, int memory, List<Map<String, Object>> disks) {
        Map<String, Object> body = new HashMap<>();
        body.put("host", host);
        body.put("memoryMiB", memory);
        body.put("vcpus", 1);
        body.put("disks", disks);
        return body;
    }

    private static Map<String, Object> disk(String target, Object file, String format) {
        Map<String, Object> d = new HashMap<>();
        d.put("target", target);
        d.put("file", file == null ? null : file.toString());
        d.put("format", format);
        return d;
    }

    private ResponseEntity<String> put(String name, Object body) {
        return api().exchange("/api/domains/" + name, HttpMethod.PUT, new HttpEntity<>(body), String.class);
    }

    private ResponseEntity<String> post(String path) {
        return api().postForEntity(path, null, String.class);
    }

    private JsonNode get(String name) throws Exception {
        ResponseEntity<String> r = api().getForEntity("/api/domains/" + name, String.class);
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.OK);
        return JSON.readTree(r.getBody());
    }

    private static JsonNode json(ResponseEntity<String> r) throws Exception {
        return JSON.readTree(r.getBody());
    }

    @Test
    void defineStartInspectStop() throws Exception {
        String name = uniqueName("life");
        Path vda = TestImages.create(images, "vda.qcow2", "qcow2", 32 * MiB);
        Path vdb = TestImages.create(images, "vdb.raw", "raw", 8 * MiB);
        TestImages.write(vda, "qcow2", 0x33, 0, 2 * MiB);

        ResponseEntity<String> defined = put(name, definition("host-a", 64,
                List.of(disk("vda", vda, "qcow2"), disk("vdb", vdb, "raw"))));
        assertThat(defined.getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode d = json(defined);
        assertThat(d.get("name").asText()).isEqualTo(name);
        assertThat(d.get("host").asText()).isEqualTo("host-a");
        assertThat(d.get("state").asText()).isEqualTo("shutoff");
        String uuid = d.get("uuid").asText();
        assertThat(uuid).hasSize(36);
        JsonNode firstDisk = d.get("disks").get(0);
        assertThat(firstDisk.get("target").asText()).isEqualTo("vda");
        assertThat(firstDisk.get("file").asText()).isEqualTo(vda.toString());
        assertThat(firstDisk.get("format").asText()).isEqualTo("qcow2");
        assertThat(firstDisk.get("capacity").asLong()).isEqualTo(32 * MiB);
        assertThat(firstDisk.get("allocation").asLong()).isGreaterThanOrEqualTo(2 * MiB);
        assertThat(d.get("disks").get(1).get("capacity").asLong()).isEqualTo(8 * MiB);

        ResponseEntity<String> started = post("/api/domains/" + name + "/start");
        assertThat(started.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(json(started).get("state").asText()).isEqualTo("running");

        Path dir = hostA().stateDir().resolve(name);
        OptionalLong pid = QemuProcesses.readPid(dir.resolve(QemuInstance.PID_FILE));
        assertThat(pid).isPresent();
        assertThat(QemuProcesses.isLiveQemu(pid.getAsLong())).isTrue();
        assertThat(get(name).get("state").asText()).isEqualTo("running");
        JsonNode blocks = monitors.get(QemuInstance.of(name, hostA(), pid.getAsLong())).execute("query-block");
        assertThat(blocks.findValuesAsText("device")).containsExactly("drive-vda", "drive-vdb");

        JsonNode list = JSON.readTree(api().getForEntity("/api/domains", String.class).getBody());
        assertThat(list.findValuesAsText("name")).contains(name);

        // a second start is a conflict, and changes nothing
        ResponseEntity<String> again = post("/api/domains/" + name + "/start");
        assertThat(again.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(json(again).get("error").asText()).isEqualTo("conflict");

        // paused by someone else through the tools monitor: the API shows it
        monitors.get(QemuInstance.of(name, hostA(), pid.getAsLong())).execute("stop");
        assertThat(get(name).get("state").asText()).isEqualTo("paused");
        monitors.get(QemuInstance.of(name, hostA(), pid.getAsLong())).execute("cont");

        ResponseEntity<String> stopped = post("/api/domains/" + name + "/stop");
        assertThat(stopped.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(json(stopped).get("state").asText()).isEqualTo("shutoff");
        assertThat(QemuProcesses.isLiveQemu(pid.getAsLong())).isFalse();
        assertThat(dir).doesNotExist();
        assertThat(get(name).get("state").asText()).isEqualTo("shutoff");
        assertThat(post("/api/domains/" + name + "/stop").getStatusCode()).isEqualTo(HttpStatus.OK); // idempotent

        // redefined while shut off: the uuid stays
        ResponseEntity<String> redefined = put(name, definition("host-b", 96, List.of(disk("vda", vda, "qcow2"))));
        assertThat(redefined.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(json(redefined).get("uuid").asText()).isEqualTo(uuid);
        assertThat(json(redefined).get("host").asText()).isEqualTo("host-b");
        assertThat(json(redefined).get("memoryMiB").asInt()).isEqualTo(96);
    }

    @Test
    void redefiningARunningDomainIsAConflictAndChangesNothing() throws Exception {
        String name = uniqueName("busy");
        Path vda = TestImages.create(images, "vda.qcow2", "qcow2", 16 * MiB);
        assertThat(put(name, definition("host-a", 64, List.of(disk("vda", vda, "qcow2")))).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertThat(post("/api/domains/" + name + "/start").getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode before = get(name);

        ResponseEntity<String> r = put(name, definition("host-a", 128, List.of(disk("vda", vda, "qcow2"))));

        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(r.getHeaders().getContentType()).isNotNull();
        assertThat(r.getHeaders().getContentType().isCompatibleWith(MediaType.APPLICATION_JSON)).isTrue();
        assertThat(json(r).get("detail").asText()).contains("running");
        JsonNode after = get(name);
        assertThat(after.get("memoryMiB").asInt()).isEqualTo(64);
        assertThat(after.get("state").asText()).isEqualTo("running");
        assertThat(after.get("uuid")).isEqualTo(before.get("uuid"));
        assertThat(post("/api/domains/" + name + "/stop").getStatusCode()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void badDefinitionsAreRefusedNamingTheField() throws Exception {
        Path vda = TestImages.create(images, "vda.qcow2", "qcow2", 16 * MiB);
        Path raw = TestImages.create(images, "vdb.raw", "raw", 16 * MiB);
        Path folder = Files.createDirectory(images.resolve("a-folder"));

        record Case(String field, String domain, Object body, String detail) {
        }
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("host", uniqueName("bad"),
                definition("host-z", 64, List.of(disk("vda", vda, "qcow2"))), "unknown host 'host-z'"));
        cases.add(new Case("disks[0].target", uniqueName("bad"),
                definition("host-a", 64, List.of(disk("sda", vda, "qcow2"))), "'sda' does not match vd[a-z]+"));
        cases.add(new Case("disks[0].file", uniqueName("bad"),
                definition("host-a", 64, List.of(disk("vda", images.resolve("nope.qcow2"), "qcow2"))), "does not exist"));
        cases.add(new Case("disks[0].file", uniqueName("bad"),
                definition("host-a", 64, List.of(disk("vda", folder, "qcow2"))), "is not a regular file"));
        cases.add(new Case("disks[0].file", uniqueName("bad"),
                definition("host-a", 64, List.of(disk("vda", "relative/vda.qcow2", "qcow2"))), "not an absolute path"));
        cases.add(new Case("disks[1].target", uniqueName("bad"),
                definition("host-a", 64, List.of(disk("vda", vda, "qcow2"), disk("vda", raw, "raw"))), "duplicate target"));
        cases.add(new Case("disks[0].format", uniqueName("bad"),
                definition("host-a", 64, List.of(disk("vda", vda, "vmdk"))), "'vmdk'"));
        cases.add(new Case("disks[0].format", uniqueName("bad"),
                definition("host-a", 64, List.of(disk("vda", vda, "raw"))), "the image is qcow2"));
        cases.add(new Case("disks", uniqueName("bad"), definition("host-a", 64, List.of()), "at least one disk"));
        cases.add(new Case("memoryMiB", uniqueName("bad"),
                definition("host-a", 8, List.of(disk("vda", vda, "qcow2"))), "not within 16..65536"));
        cases.add(new Case("name", "-leading-dash",
                definition("host-a", 64, List.of(disk("vda", vda, "qcow2"))), "not a domain name"));
        cases.add(new Case("name", "x".repeat(65),
                definition("host-a", 64, List.of(disk("vda", vda, "qcow2"))), "not a domain name"));

        for (Case c : cases) {
            ResponseEntity<String> r = put(c.domain(), c.body());
            assertThat(r.getStatusCode()).as(c.field()).isEqualTo(HttpStatus.BAD_REQUEST);
            JsonNode body = json(r);
            assertThat(body.get("error").asText()).as(c.field()).isEqualTo("invalid");
            assertThat(body.get("field").asText()).as(c.field()).isEqualTo(c.field());
            assertThat(body.get("detail").asText()).as(c.field()).startsWith(c.field() + ": ").contains(c.detail());
            assertThat(r.getBody()).doesNotContain("\tat ").doesNotContain("Exception");
            // nothing was defined
            assertThat(api().getForEntity("/api/domains/" + c.domain(), String.class).getStatusCode())
                    .as(c.field()).isEqualTo(HttpStatus.NOT_FOUND);
        }
    }

    @Test
    void aBadRedefinitionLeavesTheOldOne() throws Exception {
        String name = uniqueName("keep");
        Path vda = TestImages.create(images, "vda.qcow2", "qcow2", 16 * MiB);
        assertThat(put(name, definition("host-a", 64, List.of(disk("vda", vda, "qcow2")))).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        JsonNode before = get(name);

        ResponseEntity<String> r = put(name, definition("host-b", 64, List.of(disk("xvda", vda, "qcow2"))));

        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(get(name)).isEqualTo(before);
    }

    @Test
    void httpErrorsAreJsonToo() throws Exception {
        ResponseEntity<String> missing = api().getForEntity("/api/domains/" + uniqueName("ghost"), String.class);
        assertThat(missing.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(json(missing).get("error").asText()).isEqualTo("not-found");
        assertThat(post("/api/domains/" + uniqueName("ghost") + "/start").getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);

        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        ResponseEntity<String> malformed = api().exchange("/api/domains/" + uniqueName("m"), HttpMethod.PUT,
                new HttpEntity<>("{\"host\": \"host-a\", \"memoryMiB\": ", headers), String.class);
        assertThat(malformed.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(json(malformed).get("error").asText()).isEqualTo("malformed-request");
        assertThat(malformed.getBody()).doesNotContain("\tat ");

        ResponseEntity<String> wrongType = api().exchange("/api/domains/" + uniqueName("m"), HttpMethod.PUT,
                new HttpEntity<>("{\"host\": \"host-a\", \"memoryMiB\": \"lots\"}", headers), String.class);
        assertThat(wrongType.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(json(wrongType).get("detail").asText()).isNotBlank();

        ResponseEntity<String> method = api().exchange("/api/domains/x", HttpMethod.DELETE, null, String.class);
        assertThat(method.getStatusCode()).isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
        assertThat(json(method).get("error").asText()).isEqualTo("method-not-allowed");
        assertThat(method.getHeaders().getAllow()).contains(HttpMethod.GET, HttpMethod.PUT);
    }

    @Test
    void aDiskOutsideTheHostsImageDirsIsRefused() throws Exception {
        Path elsewhere = Files.createDirectories(testRoot().resolve("elsewhere"));
        Path outside = TestImages.create(elsewhere, uniqueName("outside") + ".raw", "raw", MiB);
        String name = uniqueName("dirs");
        Path linkToOutside = Files.createSymbolicLink(hostA().storageDir().resolve(name + "-link.raw"), outside);
        Path linkToPasswd = Files.createSymbolicLink(hostA().storageDir().resolve(name + "-passwd.raw"),
                Path.of("/etc/passwd"));
        String dotDot = hostA().storageDir() + "/../../elsewhere/" + outside.getFileName();

        // a host file qemu-img happily takes for a raw image, directly, through links, through ".."
        for (Object file : List.of("/etc/passwd", linkToOutside, linkToPasswd, dotDot)) {
            ResponseEntity<String> r = put(name, definition("host-a", 64, List.of(disk("vda", file, "raw"))));
            assertThat(r.getStatusCode()).as("%s: %s", file, r.getBody()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(json(r).get("field").asText()).isEqualTo("disks[0].file");
            assertThat(json(r).get("detail").asText()).contains("outside the image-dirs of host 'host-a'");
            assertThat(api().getForEntity("/api/domains/" + name, String.class).getStatusCode())
                    .isEqualTo(HttpStatus.NOT_FOUND);
        }
        // the second disk is checked too
        Path inside = TestImages.create(hostA().storageDir(), name + "-vda.raw", "raw", MiB);
        ResponseEntity<String> second = put(name, definition("host-a", 64,
                List.of(disk("vda", inside, "raw"), disk("vdb", "/etc/passwd", "raw"))));
        assertThat(second.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(json(second).get("field").asText()).isEqualTo("disks[1].file");

        // a file inside the storage folder, and a link that stays inside it, are accepted
        Path linkInside = Files.createSymbolicLink(hostA().storageDir().resolve(name + "-alias.raw"), inside);
        ResponseEntity<String> ok = put(name, definition("host-a", 64,
                List.of(disk("vda", inside, "raw"))));
        assertThat(ok.getStatusCode()).as(ok.getBody()).isEqualTo(HttpStatus.OK);
        String aliasName = uniqueName("alias");
        ResponseEntity<String> alias = put(aliasName, definition("host-a", 64,
                List.of(disk("vda", linkInside, "raw"))));
        assertThat(alias.getStatusCode()).as(alias.getBody()).isEqualTo(HttpStatus.OK);

        // the link pointed elsewhere after the definition: the start refuses it, no QEMU opens the file
        Files.delete(linkInside);
        Files.createSymbolicLink(linkInside, Path.of("/etc/passwd"));
        ResponseEntity<String> start = post("/api/domains/" + aliasName + "/start");
        assertThat(start.getStatusCode()).as(start.getBody()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(json(start).get("field").asText()).isEqualTo("disks[0].file");
        assertThat(hostA().stateDir().resolve(aliasName)).doesNotExist();
        assertThat(get(aliasName).get("state").asText()).isEqualTo("shutoff");
    }

    @Test
    void typeErrorsAndFractionsNameTheField() throws Exception {
        Path vda = TestImages.create(images, "vda.qcow2", "qcow2", 16 * MiB);
        String disks = "[{\"target\": \"vda\", \"file\": \"" + vda + "\", \"format\": \"qcow2\"}]";
        Map<String, String> cases = Map.of(
                "memoryMiB", "{\"host\": \"host-a\", \"memoryMiB\": 128.7, \"vcpus\": 1, \"disks\": " + disks + "}",
                "vcpus", "{\"host\": \"host-a\", \"memoryMiB\": 128, \"vcpus\": \"two\", \"disks\": " + disks + "}",
                "disks[0].readonly", "{\"host\": \"host-a\", \"memoryMiB\": 128, \"vcpus\": 1, \"disks\": "
                        + disks.replace("}]", ", \"readonly\": \"maybe\"}]") + "}",
                "disks", "{\"host\": \"host-a\", \"memoryMiB\": 128, \"vcpus\": 1, \"disks\": \"vda\"}");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String name = uniqueName("type");
            ResponseEntity<String> r = putJson(name, c.getValue());
            assertThat(r.getStatusCode()).as(c.getKey() + ": " + r.getBody()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(json(r).get("field").asText()).as(r.getBody()).isEqualTo(c.getKey());
            assertThat(json(r).get("detail").asText()).startsWith(c.getKey() + ": expected ");
            assertThat(r.getBody()).doesNotContain("java.");
            assertThat(api().getForEntity("/api/domains/" + name, String.class).getStatusCode())
                    .isEqualTo(HttpStatus.NOT_FOUND);
        }
    }

    @Test
    void errorBodiesStayShortAndHugeBodiesAreRefused() throws Exception {
        Path vda = TestImages.create(images, "vda.qcow2", "qcow2", 16 * MiB);
        String name = uniqueName("huge");
        // under the body limit: refused naming the field, the value not echoed in full
        ResponseEntity<String> big = put(name, definition("h".repeat(900_000), 64, List.of(disk("vda", vda, "qcow2"))));
        assertThat(big.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(json(big).get("field").asText()).isEqualTo("host");
        assertThat(big.getBody()).hasSizeLessThan(600);
        ResponseEntity<String> longFile = put(name, definition("host-a", 64,
                List.of(disk("vda", "/" + "f".repeat(100_000), "qcow2"))));
        assertThat(longFile.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(longFile.getBody()).hasSizeLessThan(600);

        // over it (1 MiB): 413, nothing read, nothing defined
        ResponseEntity<String> huge = put(name, definition("h".repeat(5 << 20), 64, List.of(disk("vda", vda, "qcow2"))));
        assertThat(huge.getStatusCode()).isEqualTo(HttpStatus.PAYLOAD_TOO_LARGE);
        assertThat(huge.getBody()).hasSizeLessThan(300);
        assertThat(json(huge).get("error").asText()).isEqualTo("too-large");

        // the same without a declared length (chunked): cut off at the limit
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(restTemplate.getRootUri() + "/api/domains/" + name))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (NbdflowTestContext.USER + ":" + NbdflowTestContext.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                        ("{\"host\": \"" + "h".repeat(3 << 20) + "\"}").getBytes(StandardCharsets.UTF_8))))
                .build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(chunked, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(r.body()).hasSizeLessThan(300);
        assertThat(api().getForEntity("/api/domains/" + name, String.class).getStatusCode())
                .isEqualTo(HttpStatus.NOT_FOUND);
    }

    private ResponseEntity<String> putJson(String name, String body) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        return api().exchange("/api/domains/" + name, HttpMethod.PUT, new HttpEntity<>(body, headers), String.class);
    }
}
