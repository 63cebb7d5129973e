package io.nbdflow.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test network is what the SSH tests rely on: hosts that reach each other over the bridge,
 * folders that only their host sees, an sshd that can be stopped, started and cut off, and a
 * teardown that leaves no process, namespace or link behind.
 */
class TestNetworkTest {

    private static TestNetwork net;

    @BeforeAll
    static void start() {
        // a network of its own (K + 50), so that closing it cannot disturb the JVM's shared one
        net = TestNetwork.start(Integer.getInteger("nbdflow.test.net", 0) + 50);
    }

    @AfterAll
    static void stop() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void hostsReachEachOtherAndThisMachineReachesTheirSshd() {
        TestHost a = net.host("a");
        TestHost b = net.host("b");
        assertThat(TestNetwork.listening(a.address(), 22)).isTrue();
        assertThat(TestNetwork.listening(b.address(), 22)).isTrue();
        assertThat(a.exec("bash", "-c", "exec 3<>/dev/tcp/$1/22", "bash", b.address().getHostAddress()).ok())
                .isTrue();
        // no route leads anywhere but the bridge
        assertThat(a.exec("ip", "route", "show", "default").out()).isBlank();
    }

    @Test
    void aHostsDataFolderIsSeenOnlyByThatHost() throws Exception {
        TestHost a = net.host("a");
        TestHost b = net.host("b");
        Path file = a.dataDir().resolve("only-on-a");
        assertThat(a.exec("sh", "-c", "echo here > \"$1\"", "sh", file.toString()).ok()).isTrue();
        assertThat(Files.readString(a.outside(file))).isEqualTo("here\n");
        assertThat(b.exec("test", "-e", file.toString()).ok()).isFalse();
        assertThat(Files.exists(file)).isFalse();
        assertThat(a.exec("findmnt", "-n", "-o", "FSTYPE", a.dataDir().toString()).out().trim()).isEqualTo("tmpfs");
        assertThat(a.exec("hostname").out().trim()).isEqualTo("host-a");
        // and over SSH, with each client key, checking the host key against known_hosts
        for (String type : TestNetwork.KEY_TYPES) {
            TestNetwork.Sh.Result ssh = TestNetwork.Sh.quiet("ssh", "-i", net.clientKey(type).toString(),
                    "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", "UserKnownHostsFile=" + net.knownHosts(), "-o", "ConnectTimeout=5",
                    "root@" + a.address().getHostAddress(), "cat", file.toString());
            assertThat(ssh.out()).as(type + " key: " + ssh.err()).isEqualTo("here\n");
        }
    }

    @Test
    void sshdStopsStartsAndTheLinkCanBeCut() throws Exception {
        TestHost c = net.host("c");
        c.stopSshd();
        assertThat(TestNetwork.listening(c.address(), 22)).isFalse();
        c.startSshd();
        assertThat(TestNetwork.listening(c.address(), 22)).isTrue();
        c.cutLink();
        try {
            assertThat(TestNetwork.listening(c.address(), 22)).isFalse();
        } finally {
            c.restoreLink();
        }
        Wait.until("host c reachable again", java.time.Duration.ofSeconds(10),
                () -> TestNetwork.listening(c.address(), 22));
        String before = c.hostKeyFingerprint();
        c.useHostKeyAndTrustIt("ecdsa");
        assertThat(c.hostKeyFingerprint()).isNotEqualTo(before).startsWith("SHA256:");
        assertThat(Files.readString(net.knownHosts())).contains(c.publicKeyLine());
        assertThat(TestNetwork.listening(c.address(), 22)).isTrue();
    }

    @Test
    void closingLeavesNothingBehind() {
        TestNetwork other = TestNetwork.start(net.k() + 1);
        String ns = other.host("a").namespace();
        long holder = other.host("a").holderPid();
        other.close();
        assertThat(TestNetwork.Sh.quiet("ip", "netns", "pids", ns).ok()).isFalse();
        assertThat(ProcessHandle.of(holder).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(TestNetwork.Sh.quiet("ip", "link", "show", "nbdbr" + other.k()).ok()).isFalse();
    }
}
