package io.nbdflow.host.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;

/**
 * The host key algorithms offered to a host: those its known-hosts entries list come first, so a
 * host with several keys shows the one the file knows; the rest follow, so a host without it
 * still shows a key and is refused with its fingerprint. The fingerprint is OpenSSH's.
 */
class HostKeyPreferenceTest {

    private static final String ECDSA = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=";

    @TempDir
    Path dir;

    @Test
    void theKnownTypesComeFirstAndTheRestFollow() throws IOException, JSchException {
        Path known = dir.resolve("known_hosts");
        Files.writeString(known, "[10.0.0.7]:2222 " + ECDSA + "\n10.0.0.8 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7\n");
        JSch jsch = new JSch();
        jsch.setKnownHosts(known.toString());
        VerifyingHostKeys keys = new VerifyingHostKeys(jsch.getHostKeyRepository());

        assertThat(keys.listedAlgorithms("[10.0.0.7]:2222")).containsExactly("ecdsa-sha2-nistp256");
        assertThat(keys.listedAlgorithms("10.0.0.7")).isEmpty();
        assertThat(keys.listedAlgorithms("10.0.0.8")).containsExactly("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa");

        String defaults = JSch.getConfig("server_host_key");
        String preferred = SshSession.preferListed(keys.listedAlgorithms("[10.0.0.7]:2222"), defaults);
        assertThat(preferred).startsWith("ecdsa-sha2-nistp256,");
        assertThat(preferred.split(",")).containsExactlyInAnyOrder(defaults.split(","));
        assertThat(SshSession.preferListed(java.util.List.of(), defaults)).isEqualTo(defaults);
    }

    @Test
    void fingerprintsAreOpenSshs() throws Exception {
        Path pub = dir.resolve("key.pub");
        Files.writeString(pub, ECDSA + " comment\n");
        Process p = new ProcessBuilder("ssh-keygen", "-l", "-E", "sha256", "-f", pub.toString()).start();
        String expected = new String(p.getInputStream().readAllBytes()).split(" ")[1];
        assertThat(p.waitFor()).isZero();
        byte[] blob = java.util.Base64.getDecoder().decode(ECDSA.split(" ")[1]);
        assertThat(HostKeyFingerprint.of(blob)).isEqualTo(expected);
        assertThat(HostKeyFingerprint.typeOf(blob)).isEqualTo("ecdsa-sha2-nistp256");
    }
}
