package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.migration.StorageTransport;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.SerialGuest;
import io.nbdflow.testsupport.TestUsers;
import io.nbdflow.testsupport.Wait;
import org.camunda.bpm.engine.IdentityService;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serial console of a domain, on real QEMU with a guest that prints a counted line to COM1 at
 * every timer tick ({@link SerialGuest}): read through the API while it runs, and continued on the
 * destination after a migration, nothing the guest printed lost.
 */
class ConsoleTest extends MigrationTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Autowired
    IdentityService identityService;

    /** Defines and starts a domain on host-a that boots the serial guest. */
    private void startSerialGuest(String name) {
        Path disk = hostA().storageDir().resolve(name + "-boot.raw");
        SerialGuest.createDisk(seen(hostA(), disk));
        ResponseEntity<String> defined = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 64, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", disk.toString(), "format", "raw")))),
                String.class);
        assertThat(defined.getStatusCode().is2xxSuccessful()).as(defined.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
    }

    private ResponseEntity<byte[]> console(String name, String query) {
        return api().getForEntity("/api/domains/" + name + "/console" + query, byte[].class);
    }

    private String consoleText(String name) {
        ResponseEntity<byte[]> r = console(name, "");
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.OK);
        return r.getBody() == null ? "" : new String(r.getBody(), StandardCharsets.UTF_8); // no body: empty
    }

    @Test
    void theConsoleOfARunningDomainReadsThroughTheApi() throws Exception {
        String name = "con" + System.nanoTime() % 100000;
        startSerialGuest(name);
        Path log = seen(hostA(), hostA().domainDir(name).resolve("console.log"));
        try {
            // at about 18 lines of 22 bytes a second, more than 2 KiB after some 6 s
            Wait.until("the guest printed more than 2 KiB", Duration.ofSeconds(60),
                    () -> Files.exists(log) && Files.size(log) > 2048);

            ResponseEntity<byte[]> all = console(name, "");
            assertThat(all.getStatusCode()).isEqualTo(HttpStatus.OK);
            assertThat(all.getHeaders().getContentType().isCompatibleWith(MediaType.TEXT_PLAIN)).isTrue();
            assertThat(all.getHeaders().getContentType().getCharset()).isEqualTo(StandardCharsets.UTF_8);
            String text = new String(all.getBody(), StandardCharsets.UTF_8);
            assertThat(text).startsWith(SerialGuest.MARKER + "0000\r\n" + SerialGuest.MARKER + "0001\r\n");
            assertThat(SerialGuest.missing(text)).isEmpty();
            assertThat(SerialGuest.highest(text)).isGreaterThan(90);

            // kib=1: the newest kibibyte only, no older line, and newer than what was there before
            int before = SerialGuest.highest(Files.readString(log));
            ResponseEntity<byte[]> oneKib = console(name, "?kib=1");
            assertThat(oneKib.getStatusCode()).isEqualTo(HttpStatus.OK);
            assertThat(oneKib.getBody().length).isLessThanOrEqualTo(1024).isGreaterThan(1000);
            String last = new String(oneKib.getBody(), StandardCharsets.UTF_8);
            assertThat(last).doesNotContain(SerialGuest.MARKER + "0000");
            assertThat(SerialGuest.highest(last)).isGreaterThanOrEqualTo(before);
            List<Integer> counters = SerialGuest.counters(last);
            assertThat(counters.get(counters.size() - 1) - counters.get(0)).isEqualTo(counters.size() - 1);

            // whatever the guest prints is text in the answer, invalid bytes replaced; a cut character dropped
            Files.write(log, new byte[] {(byte) 0xff, 'x', (byte) 0xe2, (byte) 0x82, (byte) 0xac, (byte) 0xc3, 0, '\n'},
                    StandardOpenOption.APPEND);
            String binary = new String(console(name, "").getBody(), StandardCharsets.UTF_8);
            assertThat(binary).contains("\uFFFDx€\uFFFD\0\n");

            // bad input: 400 naming the field; an unknown domain: 404
            for (String bad : List.of("0", "1025", "-1", "abc", "1.5", "")) {
                ResponseEntity<String> r = api().getForEntity("/api/domains/" + name + "/console?kib=" + bad,
                        String.class);
                assertThat(r.getStatusCode()).as("kib=%s", bad).isEqualTo(HttpStatus.BAD_REQUEST);
                assertThat(JSON.readTree(r.getBody()).path("field").asText()).isEqualTo("kib");
            }
            ResponseEntity<String> unknown = api().getForEntity("/api/domains/no-such-" + name + "/console",
                    String.class);
            assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
            assertThat(JSON.readTree(unknown.getBody()).path("error").asText()).isEqualTo("not-found");

            // viewers read it; a user without a role may not, nor anybody without credentials
            String viewer = TestUsers.create(identityService, "nbdflow-viewers");
            String nobody = TestUsers.create(identityService);
            String path = "/api/domains/" + name + "/console?kib=1";
            assertThat(restTemplate.withBasicAuth(viewer, TestUsers.PASSWORD).getForEntity(path, String.class)
                    .getStatusCode()).isEqualTo(HttpStatus.OK);
            assertThat(restTemplate.withBasicAuth(nobody, TestUsers.PASSWORD).getForEntity(path, String.class)
                    .getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
            assertThat(anonymous().getForEntity(path, String.class).getStatusCode())
                    .isEqualTo(HttpStatus.UNAUTHORIZED);
        } finally {
            stop(name);
        }
        // a stopped domain has no QEMU and no console: its folder is gone
        assertThat(log).doesNotExist();
        assertThat(consoleText(name)).isEmpty();
    }

    @Test
    void afterAMigrationTheDestinationsConsoleContinuesTheSources() throws Exception {
        String name = "conm" + System.nanoTime() % 100000;
        startSerialGuest(name);
        Path sourceLog = seen(hostA(), hostA().domainDir(name).resolve("console.log"));
        Path destinationLog = seen(hostB(), hostB().domainDir(name).resolve("console.log"));
        try {
            Wait.until("the guest printed 40 lines", Duration.ofSeconds(60),
                    () -> Files.exists(sourceLog) && SerialGuest.highest(Files.readString(sourceLog)) >= 40);
            String before = Files.readString(sourceLog);

            // there over the legacy block migration, back over NBD below: the console goes along both ways;
            // the source's disk goes, so that the way back finds host-a's storage free of it
            String id = migrate(name, Map.of("destinationHost", "host-b", "tunnelled", true,
                    Vars.KEEP_SOURCE_DISKS, false));
            awaitEnd(id, Duration.ofSeconds(120));
            Map<String, Object> result = variables(id);
            assertThat(result.get(Vars.OUTCOME)).as("failureReason: %s", result.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            assertThat(result.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.LEGACY.value());
            JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
            assertThat(domain.path("host").asText()).isEqualTo("host-b");
            assertThat(hostA().domainDir(name)).doesNotExist();

            // the guest goes on printing on host-b, counting on from where it was
            int atEnd = SerialGuest.highest(Files.readString(destinationLog));
            Wait.until("the destination QEMU printed on", Duration.ofSeconds(30),
                    () -> SerialGuest.highest(Files.readString(destinationLog)) >= atEnd + 20);
            String after = Files.readString(destinationLog);
            // first what the source had printed (all of it: less than the 1 MiB that is copied) ...
            assertThat(after).startsWith(before);
            // ... then the destination's lines and, marked, the source's last ones before the switchover
            assertThat(after).contains("--- printed on host-a after this console was copied here, until the switchover ---\n");
            // every line the guest printed is there; at most the one the switchover cut in two is split
            // between the source's block and the destination's first output, so its counter is unreadable
            assertThat(SerialGuest.missing(after)).hasSizeLessThanOrEqualTo(1);
            assertThat(SerialGuest.highest(after)).isGreaterThan(SerialGuest.highest(before) + 20);

            // the API reads it on the host the domain runs on now
            String api = consoleText(name);
            assertThat(api).startsWith(SerialGuest.MARKER + "0000\r\n");
            assertThat(api).contains("--- printed on host-a after");
            assertThat(SerialGuest.highest(api)).isGreaterThanOrEqualTo(SerialGuest.highest(after));

            // and back over NBD: the console goes along again
            String onB = Files.readString(destinationLog);
            String back = migrate(name, Map.of("destinationHost", "host-a"));
            awaitEnd(back, Duration.ofSeconds(120));
            Map<String, Object> backResult = variables(back);
            assertThat(backResult.get(Vars.OUTCOME)).as("failureReason: %s", backResult.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            assertThat(backResult.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.NBD.value());
            int backAtEnd = SerialGuest.highest(Files.readString(sourceLog));
            Wait.until("the guest printed on, on host-a again", Duration.ofSeconds(30),
                    () -> SerialGuest.highest(Files.readString(sourceLog)) >= backAtEnd + 20);
            String home = Files.readString(sourceLog);
            assertThat(home).startsWith(onB);
            assertThat(home).contains("--- printed on host-b after this console was copied here, until the switchover ---\n");
            assertThat(SerialGuest.missing(home)).hasSizeLessThanOrEqualTo(2); // one cut line per switchover
            assertThat(hostB().domainDir(name)).doesNotExist();
        } finally {
            stop(name);
        }
    }
}
