package io.nbdflow.e2e;

import io.nbdflow.application.Reconciler;
import io.nbdflow.host.Host;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.store.PortAllocator;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.SshTestContext;
import io.nbdflow.testsupport.TestHost;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.ContextConfiguration;
import org.springframework.test.context.TestPropertySource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host lost in the middle of a migration, on the test network's hosts over SSH: the destination's
 * sshd killed or its link cut during the mirror (rolled back on the source at once, host-b cleaned
 * by the reconciler once it answers again), and the source's sshd stopped during the mirror,
 * briefly (the migration goes on) or for longer than the host-unreachable timeout (rolled back once
 * the source answers). In every case the guest's write made during the mirror is kept.
 */
@ContextConfiguration(initializers = SshTestContext.class, inheritInitializers = false)
@TestPropertySource(properties = {
        "nbdflow.migration.host-unreachable-timeout=20s",
        // only a lost host may end these migrations, never a convergence timeout
        "nbdflow.migration.convergence-timeout-min=300s"})
class HostLossTest extends SpringQemuTest {
    private static final long MiB = TestImages.MiB;
    private static final int GUEST_PATTERN = 0x5c;
    /** Slow enough that the mirror of 40 MiB is still running when the fault comes. */
    private static final int BANDWIDTH_MIBPS = 2;

    @Autowired
    private PortAllocator ports;

    @Autowired
    private Reconciler reconciler;

    @AfterEach
    void hostsBack() {
        for (Host h : List.of(hostA(), hostB())) {
            TestHost t = testHost(h);
            t.restoreLink();
            t.startSshd();
        }
    }

    @Test
    void theDestinationsSshdIsKilledDuringTheMirror() throws Exception {
        String name = "hl-sshd";
        Path vda = startDomain(name);
        Set<String> before = storageOf(hostB());
        String id = migrate(name);
        long destinationPid;
        try (QmpClient qmp = tools(name)) {
            awaitMirrorCopying(qmp);
            destinationPid = destinationPid(id);
            guestWrite(qmp);
            testHost(hostB()).stopSshd();
        }

        awaitEnd(id, Duration.ofSeconds(120));
        assertRolledBackLeavingHostB(id, name, destinationPid);

        testHost(hostB()).startSshd();
        assertHostBCleanedByTheReconciler(id, name, destinationPid, before);
        assertGuestWriteKept(name, vda);
    }

    @Test
    void theDestinationsLinkIsCutDuringTheMirror() throws Exception {
        String name = "hl-cut";
        Path vda = startDomain(name);
        Set<String> before = storageOf(hostB());
        String id = migrate(name);
        long destinationPid;
        try (QmpClient qmp = tools(name)) {
            awaitMirrorCopying(qmp);
            destinationPid = destinationPid(id);
            guestWrite(qmp);
            testHost(hostB()).cutLink();
        }

        awaitEnd(id, Duration.ofSeconds(180));
        assertRolledBackLeavingHostB(id, name, destinationPid);

        testHost(hostB()).restoreLink();
        assertHostBCleanedByTheReconciler(id, name, destinationPid, before);
        assertGuestWriteKept(name, vda);
    }

    @Test
    void theSourceIsUnreachableBrieflyDuringTheMirror() throws Exception {
        String name = "hl-blip";
        Path vda = startDomain(name);
        String id = migrate(name);
        try (QmpClient qmp = tools(name)) {
            awaitMirrorCopying(qmp);
            testHost(hostA()).stopSshd();
            guestWrite(qmp);
            Wait.pause("host-a unreachable for a while, well within the timeout", Duration.ofSeconds(6));
            assertThat(ended(id)).as("the migration waits for the source").isFalse();
            testHost(hostA()).startSshd();
        }

        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(ports.heldBy(id)).as("ports of the migration").isEmpty();

        stop(name);
        Path copy = seen(hostB(), hostB().storageDir().resolve(name + "-vda.qcow2"));
        assertThat(TestImages.verify(copy, "qcow2", GUEST_PATTERN, 0, MiB)).as("the guest's write on host-b").isTrue();
        assertThat(TestImages.compare(seen(hostA(), vda), copy)).as("the copy equals the source").isTrue();
    }

    @Test
    void theSourceIsUnreachableLongerThanTheTimeout() throws Exception {
        String name = "hl-src";
        Path vda = startDomain(name);
        Set<String> before = storageOf(hostB());
        String id = migrate(name);
        long destinationPid;
        try (QmpClient qmp = tools(name)) {
            awaitMirrorCopying(qmp);
            destinationPid = destinationPid(id);
            testHost(hostA()).stopSshd();
            guestWrite(qmp);
            Wait.explaining(() -> "variables " + variables(id)).until("the migration failed for its source",
                    Duration.ofSeconds(60), () -> variables(id).get(Vars.FAILURE_REASON) != null);
            assertThat(ended(id)).as("the rollback waits for the source").isFalse();
            assertThat(SourceSide.status(qmp)).as("the guest runs on, whoever reaches host-a").isEqualTo("running");
            Wait.pause("the rollback tries to reach host-a", Duration.ofSeconds(8));
            testHost(hostA()).startSshd();
        }

        awaitEnd(id, Duration.ofSeconds(120));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_ROLLED_BACK);
        assertThat((String) vars.get(Vars.FAILURE_REASON)).contains("source host 'host-a' unreachable");
        assertSourceRunsWithoutJobs(name);
        assertThat(QemuProcesses.isLiveQemu(destinationPid)).as("destination QEMU").isFalse();
        assertHostBAsBefore(name, before);
        assertThat(ports.heldBy(id)).as("ports of the migration").isEmpty();
        assertGuestWriteKept(name, vda);
    }

    // ---- the checks

    /**
     * Rolled back at once: the reason names host-b as unreachable, the guest runs on host-a with no
     * block job, and host-b keeps what the rollback could not reach (its QEMU runs, its ports stay
     * reserved); the reconciler says each run that host-b is unreachable.
     */
    private void assertRolledBackLeavingHostB(String id, String name, long destinationPid) throws Exception {
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_ROLLED_BACK);
        assertThat((String) vars.get(Vars.FAILURE_REASON)).contains("host-b").contains("unreachable");
        assertSourceRunsWithoutJobs(name);
        assertThat(QemuProcesses.isLiveQemu(destinationPid)).as("destination QEMU, out of reach").isTrue();
        assertThat(ports.heldBy(id)).as("ports its QEMU may listen on").isNotEmpty();
        Wait.explaining(() -> "reconciler runs " + reconciler.runs()).until("the reconciler found host-b unreachable",
                Duration.ofSeconds(60), () -> reconciler.runs().stream().flatMap(r -> r.done().stream())
                        .anyMatch(d -> d.startsWith("migration " + id + ": host unreachable, next run retries")));
        assertThat(QemuProcesses.isLiveQemu(destinationPid)).as("destination QEMU, still out of reach").isTrue();
        assertThat(ports.heldBy(id)).as("ports, still reserved").isNotEmpty();
    }

    /** Once host-b answers: its QEMU stopped, its folder and the pre-created disk removed, the ports free. */
    private void assertHostBCleanedByTheReconciler(String id, String name, long destinationPid, Set<String> before)
            throws Exception {
        Wait.explaining(() -> "reconciler runs " + reconciler.runs()).until("host-b cleaned by the reconciler",
                Duration.ofSeconds(90), () -> !QemuProcesses.isLiveQemu(destinationPid) && ports.heldBy(id).isEmpty());
        assertHostBAsBefore(name, before);
        assertThat(Ports.listeningInRange(hostB(), hosts.ports())).as("ports listening on host-b").isEmpty();
    }

    private void assertHostBAsBefore(String name, Set<String> before) throws IOException {
        assertThat(storageOf(hostB())).as("host-b's storage as before the migration").isEqualTo(before);
        assertThat(seen(hostB(), hostB().domainDir(name))).as("the domain's folder on host-b").doesNotExist();
    }

    private void assertSourceRunsWithoutJobs(String name) throws Exception {
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        try (QmpClient qmp = tools(name)) {
            assertThat(SourceSide.status(qmp)).as("the guest on host-a").isEqualTo("running");
            assertThat(SourceSide.blockJobs(qmp)).extracting(BlockJob::id).as("block jobs on host-a").isEmpty();
        }
    }

    /** The guest's write made during the mirror is in the source's image (read once the domain stopped). */
    private void assertGuestWriteKept(String name, Path vda) {
        stop(name);
        assertThat(TestImages.verify(seen(hostA(), vda), "qcow2", GUEST_PATTERN, 0, MiB))
                .as("the guest's write during the migration, on host-a").isTrue();
    }

    // ---- domains, migrations, hosts

    /** A one-disk domain on host-a (64 MiB qcow2, 40 MiB written), started; returns its disk's path on host-a. */
    private Path startDomain(String name) {
        Path dir = hostA().storageDir();
        Path vda = dir.resolve(name + "-src-vda.qcow2");
        TestImages.create(seen(hostA(), dir), vda.getFileName().toString(), "qcow2", 64 * MiB);
        TestImages.write(seen(hostA(), vda), "qcow2", 0x11, 0, 40 * MiB);
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 128, "vcpus", 1,
                        "disks", List.of(Map.of("target", "vda", "file", vda.toString(), "format", "qcow2")))),
                String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        return vda;
    }

    private void stop(String name) {
        assertThat(api().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
    }

    /** A bandwidth-limited migration to host-b that keeps the source's disk; returns its id. */
    private String migrate(String name) {
        ResponseEntity<JsonNode> r = api().postForEntity("/api/domains/" + name + "/migrate",
                Map.of("destinationHost", "host-b", "bandwidthMiBps", BANDWIDTH_MIBPS, Vars.KEEP_SOURCE_DISKS, true),
                JsonNode.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(String.valueOf(r.getBody())).isTrue();
        return r.getBody().path("processInstanceId").asText();
    }

    /** The pid of the migration's destination QEMU, as it recorded it for people. */
    private long destinationPid(String id) throws InterruptedException {
        return Wait.until("destination QEMU started", Duration.ofSeconds(30),
                () -> (Number) variables(id).get(Vars.DESTINATION_PID), pid -> pid != null).longValue();
    }

    /** The operators' monitor of the domain's QEMU on host-a, reached from this machine (not over SSH). */
    private QmpClient tools(String name) throws Exception {
        return QmpClient.connect(seen(hostA(), hostA().domainDir(name).resolve("qmp-tools.sock")),
                Duration.ofSeconds(10));
    }

    /** The mirror runs and has copied something, so that the fault comes in the middle of it. */
    private static void awaitMirrorCopying(QmpClient qmp) throws Exception {
        Wait.until("mirror copying", Duration.ofSeconds(90),
                () -> SourceSide.mirrorJobs(qmp).stream().mapToLong(BlockJob::offset).sum(), copied -> copied >= 2 * MiB);
        assertThat(SourceSide.mirrorJobs(qmp)).as("mirror still copying").allMatch(j -> !j.ready());
    }

    /** The guest writes 1 MiB of GUEST_PATTERN at the start of vda (HMP qemu-io on its virtio device). */
    private static void guestWrite(QmpClient qmp) throws Exception {
        String out = qmp.execute("human-monitor-command", Map.of("command-line",
                "qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend \"write -P "
                        + String.format("0x%02x", GUEST_PATTERN) + " 0 " + MiB + "\"")).asText();
        assertThat(out).as("qemu-io via HMP").isEmpty();
    }

    /** The file names in that host's storage folder. */
    private Set<String> storageOf(Host host) throws IOException {
        Path dir = seen(host, host.storageDir());
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }

    private static TestHost testHost(Host host) {
        TestHost t = SshTestContext.testHost(host.address());
        assertThat(t).as("test host behind " + host.name()).isNotNull();
        return t;
    }
}
