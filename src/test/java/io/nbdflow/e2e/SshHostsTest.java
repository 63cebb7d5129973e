package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.process.Vars;
import io.nbdflow.testsupport.SshTestContext;
import io.nbdflow.testsupport.TestHost;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.TestNetwork;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.ContextConfiguration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What only hosts that are other machines have: a host key that changed is refused, a disk path
 * full of characters a shell would interpret reaches the hosts intact, and a host's folders exist
 * on that host alone.
 * <p>
 * host-c's known_hosts is a file of this context's own ({@link OwnKnownHostsForHostC}): the test
 * gives host-c a new key and lets the rest of the run trust it at once (the network's shared
 * known_hosts), while this context's file still lists the old one, as an operator's file does
 * after a host was reinstalled.
 */
@ContextConfiguration(initializers = SshHostsTest.OwnKnownHostsForHostC.class, inheritInitializers = false)
class SshHostsTest extends MigrationTestBase {

    /** {@link SshTestContext} with host-c's known_hosts a copy, in the context's folder, of the network's. */
    static class OwnKnownHostsForHostC extends SshTestContext {
        @Override
        protected Map<String, String> contextProperties(Path root, String datasourceUrl) {
            Map<String, String> p = super.contextProperties(root, datasourceUrl);
            Path own = root.resolve("known_hosts_c");
            try {
                Files.copy(TestNetwork.shared().knownHosts(), own, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            p.put("nbdflow.hosts[2].ssh.known-hosts", own.toString());
            return p;
        }
    }

    @Test
    void aChangedHostKeyIsRefusedNamingTheHostAndTheKeyAndNothingIsCreatedThere() throws Exception {
        TestHost c = TestNetwork.shared().host("c");
        Path ownKnownHosts = hostC().ssh().knownHosts();
        assertThat(ownKnownHosts).as("this context's own known_hosts for host-c")
                .isNotEqualTo(TestNetwork.shared().knownHosts());
        // a disk for a domain on host-c, put there by the test (not over SSH)
        Path disk = image(hostC(), hostC().storageDir().resolve("hk-define-vda.qcow2"), 16 * MiB, MiB);
        String name = "hk-move";
        Path vda = startDomain(name, 16 * MiB, MiB);

        // host-c is reinstalled: a new key; the rest of the run trusts it, this context's file does not
        c.useHostKeyAndTrustIt("ed25519");
        String fingerprint = c.hostKeyFingerprint();
        Set<String> storageBefore = files(hostC(), hostC().storageDir());
        Set<String> stateBefore = files(hostC(), hostC().stateDir());

        ResponseEntity<String> define = api().exchange("/api/domains/hk-define", HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-c", "memoryMiB", 64, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", disk.toString(), "format", "qcow2")))), String.class);
        assertThat(define.getStatusCode().value()).as("defined on host-c: %s", define.getBody()).isEqualTo(502);
        assertThat(define.getBody()).contains("\"error\":\"host-key-refused\"");
        assertThat(define.getBody()).as("the refusal names the host and the key").contains("host-c")
                .contains(fingerprint);
        assertThat(api().getForEntity("/api/domains/hk-define", String.class).getStatusCode().value()).isEqualTo(404);

        String id = migrate(name, Map.of("destinationHost", "host-c"));
        awaitEnd(id, Duration.ofSeconds(120));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isIn(Vars.OUTCOME_REFUSED, Vars.OUTCOME_ROLLED_BACK);
        assertThat((String) vars.get(Vars.FAILURE_REASON)).contains("host-c").contains(fingerprint);
        assertNoPortReserved(id);
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        assertThat(files(hostC(), hostC().storageDir())).as("host-c's storage as before").isEqualTo(storageBefore);
        assertThat(files(hostC(), hostC().stateDir())).as("host-c's state folder as before").isEqualTo(stateBefore);

        // the operator checks the new key and lists it: the same migration goes through
        Files.copy(TestNetwork.shared().knownHosts(), ownKnownHosts, StandardCopyOption.REPLACE_EXISTING);
        String again = migrate(name, Map.of("destinationHost", "host-c"));
        awaitEnd(again, Duration.ofSeconds(120));
        assertThat(variables(again).get(Vars.OUTCOME)).as("failureReason: %s",
                variables(again).get(Vars.FAILURE_REASON)).isEqualTo(Vars.OUTCOME_MIGRATED);
        stop(name);
        assertThat(TestImages.compare(seen(hostA(), vda),
                seen(hostC(), hostC().storageDir().resolve(name + "-vda.qcow2")))).as("the copy on host-c").isTrue();
    }

    /**
     * Spaces, both quotes, $, ;, backquotes, a backslash and glob characters in the folders of a disk
     * and of its backing file: every command that names them on a host (qemu-img, QEMU, the domain
     * API's checks on host-a; the overlay created on host-b over the same backing file) must pass
     * each on as one argument. Domain names allow none of these, so the copy's own name is plain.
     */
    @Test
    void diskPathsWithCharactersAShellWouldInterpretMigrateIntact() throws Exception {
        String name = "odd-path";
        String odd = "it's a \"disk\" $HOME; `id` \\ * [x]";
        String base = sharedStorage().resolve("tpl " + odd).resolve("base $1;'\".qcow2").toString();
        Path vda = sourceImages(hostA()).resolve(odd).resolve("v d a;$x'\".qcow2");
        // made on host-a: the overlay names its backing file by the hosts' path
        run(hostA(), "mkdir", "-p", Path.of(base).getParent().toString(), vda.getParent().toString());
        run(hostA(), "qemu-img", "create", "-q", "-f", "qcow2", base, Long.toString(64 * MiB));
        run(hostA(), "qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 " + 16 * MiB, base);
        run(hostA(), "qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", vda.toString());
        run(hostA(), "qemu-io", "-f", "qcow2", "-c", "write -P 0x22 " + 32 * MiB + " " + 8 * MiB, vda.toString());
        defineDomainWithDisks(name, 64, Map.of("vda", vda));
        JsonNode defined = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(defined.path("disks").findValuesAsText("file")).containsExactly(vda.toString());
        assertThat(defined.path("disks").get(0).path("capacity").asLong()).as("qemu-img info read it: %s", defined)
                .isEqualTo(64 * MiB);
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode().value())
                .isEqualTo(200);
        try (var qmp = tools(name)) {
            guestWrite(qmp);
        }

        String id = migrate(name, Map.of("destinationHost", "host-b", "copyStorage", "inc"));
        awaitEnd(id, Duration.ofSeconds(120));
        assertThat(variables(id).get(Vars.OUTCOME)).as("failureReason: %s", variables(id).get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        Path copy = assertMovedToHostB(name);
        stop(name);
        // on host-a, where the source lies; the copy reached from there as this test sees it
        TestNetwork.Sh.Result compare = runOn(hostA(), "qemu-img", "compare", vda.toString(),
                seen(hostB(), copy).toString());
        assertThat(compare.exit()).as("the copy equals the source: %s%s", compare.out(), compare.err()).isZero();
        TestNetwork.Sh.Result backing = runOn(hostB(), "qemu-img", "info", "--output=json", copy.toString());
        assertThat(backing.out()).as("the copy's backing file").contains("\"backing-filename\": \""
                + base.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        TestNetwork.Sh.Result read = runOn(hostB(), "qemu-io", "-r", "-U", "-f", "qcow2", "-c",
                "read -P " + GUEST_PATTERN + " " + GUEST_OFFSET + " " + MiB, copy.toString());
        assertThat(read.out() + read.err()).as("the guest's write in the copy").contains("read ")
                .doesNotContain("Pattern verification failed");
    }

    @Test
    void aHostsFoldersExistOnThatHostAlone() throws Exception {
        String name = "private";
        Path vda = startDomain(name, 16 * MiB, MiB);
        Path pidFile = hostA().domainDir(name).resolve("qemu.pid");

        assertThat(seen(hostA(), vda)).as("the disk, on host-a").isRegularFile();
        assertThat(seen(hostA(), pidFile)).as("the QEMU's pid file, on host-a").isRegularFile();
        for (Path p : List.of(vda, pidFile, hostA().storageDir(), hostA().stateDir())) {
            assertThat(p).as("%s on this machine", p).doesNotExist();
            assertThat(seen(hostB(), p)).as("%s on host-b", p).doesNotExist();
        }
        assertThat(hostA().isRemote()).isTrue();
        stop(name);
    }

    // ---- helpers

    /** The domain runs on host-b; returns its copy of vda there (its path on host-b). */
    private Path assertMovedToHostB(String name) {
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        Path copy = hostB().storageDir().resolve(name + "-vda.qcow2");
        assertThat(domain.path("disks").findValuesAsText("file")).containsExactly(copy.toString());
        return copy;
    }

    /** Runs a tool on the host; fails with its output unless it succeeds. */
    private void run(Host host, String... argv) {
        TestNetwork.Sh.Result r = runOn(host, argv);
        assertThat(r.exit() == 0 && !r.out().contains("failed") && !r.err().contains("failed"))
                .as("%s on %s: %s%s", String.join(" ", argv), host.name(), r.out(), r.err()).isTrue();
    }

    /** The names in that folder of the host (created if missing). */
    private Set<String> files(Host host, Path dir) throws IOException {
        try (Stream<Path> files = Files.list(Files.createDirectories(seen(host, dir)))) {
            return files.map(p -> p.getFileName().toString()).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }
}
