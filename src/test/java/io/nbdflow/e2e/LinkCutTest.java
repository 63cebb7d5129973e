package io.nbdflow.e2e;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #4 case 5 with a real network: host-a and host-b each live in a network namespace of this
 * test, joined by a veth pair (10.213.0.1 and .2); their QEMUs are launched through
 * {@code ip netns exec} (the hosts' qemu-wrapper). Mid-mirror, host-b's link goes down: packets
 * vanish, nothing closes the NBD connection, and the mirror just stops. The convergence timeout
 * fails the migration; the rollback's forced cancel alone would wait for TCP for many minutes, so
 * the mirror's NBD connection is yanked. The source keeps running with its write, host-b is clean,
 * and with the link back the same migration succeeds.
 */
@TestPropertySource(properties = {
        "nbdflow.hosts[0].address=10.213.0.1",
        "nbdflow.hosts[0].qemu-wrapper=ip,netns,exec," + LinkCutTest.NS_A,
        "nbdflow.hosts[1].address=10.213.0.2",
        "nbdflow.hosts[1].qemu-wrapper=ip,netns,exec," + LinkCutTest.NS_B,
        "nbdflow.migration.convergence-timeout-min=20s",
        "nbdflow.migration.convergence-seconds-per-gib=0",
        "nbdflow.migration.convergence-bandwidth-factor=0"})
class LinkCutTest extends MigrationTestBase {
    // fixed names (a test property needs a constant): one run of this class per machine at a time
    static final String NS_A = "nbdflow-cut-a";
    static final String NS_B = "nbdflow-cut-b";
    private static final String LINK_B = "nbdcutb";

    @BeforeAll
    static void network() throws Exception {
        removeNetwork(); // what a killed earlier run may have left
        ip("netns", "add", NS_A);
        ip("netns", "add", NS_B);
        ip("link", "add", "nbdcuta", "type", "veth", "peer", "name", LINK_B);
        ip("link", "set", "nbdcuta", "netns", NS_A);
        ip("link", "set", LINK_B, "netns", NS_B);
        ip("-n", NS_A, "addr", "add", "10.213.0.1/30", "dev", "nbdcuta");
        ip("-n", NS_B, "addr", "add", "10.213.0.2/30", "dev", LINK_B);
        for (String[] link : new String[][] {{NS_A, "nbdcuta"}, {NS_A, "lo"}, {NS_B, LINK_B}, {NS_B, "lo"}}) {
            ip("-n", link[0], "link", "set", link[1], "up");
        }
    }

    @AfterEach
    void linkUp() throws Exception {
        run(List.of("ip", "-n", NS_B, "link", "set", LINK_B, "up")); // whatever a failed test left
    }

    @AfterAll
    static void removeNetwork() throws Exception {
        for (String ns : List.of(NS_A, NS_B)) {
            run(List.of("ip", "netns", "del", ns)); // the veth pair goes with them
        }
    }

    @Test
    void theDestinationsLinkGoesDownUnderTheMirror() throws Exception {
        String name = "cut2";
        Path vda = startDomain(name, 64 * MiB, 40 * MiB);
        Set<String> destinationBefore = destinationStorage();
        Map<String, Object> request = Map.of("destinationHost", "host-b", "bandwidthMiBps", 4);
        String id = migrate(name, request);

        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            awaitCopied(qmp, 4 * MiB);
            ip("-n", NS_B, "link", "set", LINK_B, "down");
            long stuckAt = SourceSide.mirrorJobs(qmp).get(0).offset();
            guestWrite(qmp); // the source keeps taking writes while the copy is stuck
            Thread.sleep(3000);
            assertThat(SourceSide.mirrorJobs(qmp)).as("the mirror stalls, it does not fail").hasSize(1)
                    .allMatch(j -> j.status().equals("running") && j.offset() <= stuckAt + 2 * MiB);
        }

        awaitEnd(id, Duration.ofSeconds(120));
        assertThat((String) variables(id).get("failureReason")).contains("steady state");
        assertThat(variables(id).get("rollbackProblems")).as("everything undone").isNull();
        assertRolledBackCleanly(name, id, "rolled-back", destinationBefore, Set.of());

        ip("-n", NS_B, "link", "set", LINK_B, "up");
        assertSameMigrationSucceeds(name, Map.of("destinationHost", "host-b"), vda);
    }

    /**
     * The link goes down while the migration waits for approval, with the mirrors in sync; then the
     * guest writes and a person approves. The mirror's write and the RAM migration's connection both
     * hang; "RAM not converging" fails the migration and the rollback yanks what will not cancel.
     */
    @Test
    void theDestinationsLinkGoesDownBeforeTheSwitchover() throws Exception {
        String name = "cut3";
        Path vda = startDomain(name, 16 * MiB, 4 * MiB);
        Set<String> destinationBefore = destinationStorage();
        String id = migrate(name, Map.of("destinationHost", "host-b", "approveSwitchover", true));
        awaitActivity(id, "UserTask_ApproveSwitchover", Duration.ofSeconds(60));

        ip("-n", NS_B, "link", "set", LINK_B, "down");
        try (QmpClient qmp = tools(name)) {
            guestWrite(qmp);
        }
        approve(id);

        awaitEnd(id, Duration.ofSeconds(120));
        assertThat(variables(id).get("rollbackProblems")).as("everything undone").isNull();
        assertRolledBackCleanly(name, id, "rolled-back", destinationBefore, Set.of());

        ip("-n", NS_B, "link", "set", LINK_B, "up");
        assertSameMigrationSucceeds(name, Map.of("destinationHost", "host-b"), vda);
    }

    /** Nothing listens inside host-b's namespace (the application cannot see it from outside). */
    @Override
    protected void assertHostBPortsClosed(Map<String, Object> vars) throws Exception {
        assertThat(run(List.of("ip", "netns", "exec", NS_B, "ss", "-Htln")).strip()).as("listeners in " + NS_B)
                .isEmpty();
    }

    private static void awaitCopied(QmpClient qmp, long bytes) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (SourceSide.mirrorJobs(qmp).stream().mapToLong(BlockJob::offset).sum() < bytes) {
            assertThat(System.nanoTime()).as("mirror copying").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static void ip(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0).as("%s: %s", command, out).isTrue();
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }
}
