package io.nbdflow.e2e;

import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The destination's link cut, on a real network: host-a and host-b each live in a network
 * namespace of this test, joined by a veth pair (10.213.0.1 and .2); their QEMUs are launched through
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
        FaultScenario s = scenario("cut2", 64 * MiB, 40 * MiB, Map.of("destinationHost", "host-b"));
        s.migrate(Map.of("destinationHost", "host-b", "bandwidthMiBps", 4));

        try (QmpClient qmp = tools(s.name())) {
            awaitMirrorJobs(qmp, 1);
            awaitCopied(qmp, 4 * MiB);
            ip("-n", NS_B, "link", "set", LINK_B, "down");
            long stuckAt = SourceSide.mirrorJobs(qmp).get(0).offset();
            guestWrite(qmp); // the source keeps taking writes while the copy is stuck
            Wait.pause("the mirror would move on by now if it could", Duration.ofSeconds(3));
            // mostly the mirror just stalls; where the kernel reports the dead neighbour to the
            // socket, QEMU ends it with an I/O error instead: either way it copies nothing more
            assertThat(SourceSide.mirrorJobs(qmp)).as("the mirror stalls or fails, it never moves on").hasSize(1)
                    .allMatch(j -> j.offset() <= stuckAt + 2 * MiB
                            && (j.status().equals("running") || j.error() != null));
        }

        s.awaitEnd(Duration.ofSeconds(120));
        assertThat(s.failureReason()).containsAnyOf("steady state", "Input/output error");
        assertThat(s.variables().get("rollbackProblems")).as("everything undone").isNull();
        s.assertRolledBack();

        ip("-n", NS_B, "link", "set", LINK_B, "up");
        s.assertSameMigrationSucceeds();
    }

    /**
     * The link goes down while the migration waits for approval, with the mirrors in sync; then the
     * guest writes and a person approves. The mirror's write and the RAM migration's connection both
     * hang; "RAM not converging" fails the migration and the rollback yanks what will not cancel.
     */
    @Test
    void theDestinationsLinkGoesDownBeforeTheSwitchover() throws Exception {
        FaultScenario s = scenario("cut3", 16 * MiB, 4 * MiB, Map.of("destinationHost", "host-b"));
        String id = s.migrate(Map.of("destinationHost", "host-b", "approveSwitchover", true));
        awaitActivity(id, Bpmn.APPROVE_SWITCHOVER, Duration.ofSeconds(60));

        ip("-n", NS_B, "link", "set", LINK_B, "down");
        try (QmpClient qmp = tools(s.name())) {
            guestWrite(qmp);
        }
        approve(id);

        // where the migration's failure leaves QEMU draining a mirror request stuck on the dead link,
        // its monitor stops answering: the step's four attempts (30 s each) come before the rollback
        s.awaitEnd(Duration.ofSeconds(240));
        assertThat(s.variables().get("rollbackProblems")).as("everything undone").isNull();
        s.assertRolledBack();

        ip("-n", NS_B, "link", "set", LINK_B, "up");
        s.assertSameMigrationSucceeds();
    }

    /** Nothing listens inside host-b's namespace (the application cannot see it from outside). */
    @Override
    protected void assertHostBPortsClosed(Map<String, Object> vars) throws Exception {
        assertThat(run(List.of("ip", "netns", "exec", NS_B, "ss", "-Htln")).strip()).as("listeners in " + NS_B)
                .isEmpty();
    }

    private static void awaitCopied(QmpClient qmp, long bytes) throws Exception {
        Wait.until("mirror copying", Duration.ofSeconds(30),
                () -> SourceSide.mirrorJobs(qmp).stream().mapToLong(BlockJob::offset).sum(), copied -> copied >= bytes);
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
