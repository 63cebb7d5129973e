package io.nbdflow.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * {@link SshTestContext} whose hosts carry TLS credentials ({@link TestPki}), as files on each
 * host in the context's folder there: host-a and host-b with certificates of a CA made for the
 * context, host-c with a certificate and CA of a foreign authority, which the others do not trust.
 */
public class SshTlsTestContext extends SshTestContext {

    @Override
    protected Map<String, String> contextProperties(Path root, String datasourceUrl) {
        Map<String, String> p = super.contextProperties(root, datasourceUrl);
        TestNetwork net = TestNetwork.shared();
        TestPki pki = TestPki.create(root.resolve("pki"), "nbdflow test CA")
                .issue("a", net.host("a").address().getHostAddress())
                .issue("b", net.host("b").address().getHostAddress());
        TestPki foreign = TestPki.create(root.resolve("pki-foreign"), "foreign CA")
                .issue("c", net.host("c").address().getHostAddress());
        p.putAll(install(root, 0, "a", pki));
        p.putAll(install(root, 1, "b", pki));
        p.putAll(install(root, 2, "c", foreign));
        return p;
    }

    /** Copies the CA and that host's certificate and key onto the host; their properties. */
    private static Map<String, String> install(Path root, int index, String host, TestPki pki) {
        TestHost testHost = TestNetwork.shared().host(host);
        Path dir = hostFolder(root, host).resolve("tls");
        try {
            Files.createDirectories(testHost.outside(dir));
            Files.copy(pki.ca(), testHost.outside(dir.resolve("ca.pem")), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(pki.cert(host), testHost.outside(dir.resolve("cert.pem")), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(pki.key(host), testHost.outside(dir.resolve("key.pem")), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return TestPki.hostProperties(index, dir.resolve("ca.pem"), dir.resolve("cert.pem"), dir.resolve("key.pem"));
    }
}
