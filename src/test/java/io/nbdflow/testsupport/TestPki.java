package io.nbdflow.testsupport;

import io.nbdflow.host.ExternalCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A certificate authority of its own for tests, made with openssl as the README tells operators
 * to: a CA certificate, and per host a certificate naming the host's address (subjectAltName
 * IP) that serves both as TLS server and client, signed by that CA. Files are PEM, keys
 * unencrypted, valid for two days.
 */
public final class TestPki {
    private final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /** A new CA in that folder (created): {@code ca.pem} and its key. */
    public static TestPki create(Path dir, String caName) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("ca.cnf"), String.join("\n",
                    "[req]", "distinguished_name=dn", "x509_extensions=v3_ca", "prompt=no",
                    "[dn]", "CN=" + caName,
                    "[v3_ca]", "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign",
                    "subjectKeyIdentifier=hash", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestPki pki = new TestPki(dir);
        pki.openssl("req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", "ca-key.pem", "-out",
                "ca.pem", "-days", "2", "-config", "ca.cnf");
        return pki;
    }

    /** The CA's certificate. */
    public Path ca() {
        return dir.resolve("ca.pem");
    }

    /** A certificate for that IP address, signed by this CA; its files {@link #cert} and {@link #key}. */
    public TestPki issue(String name, String ip) {
        try {
            Files.writeString(dir.resolve(name + ".ext"), String.join("\n",
                    "basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                    "extendedKeyUsage=serverAuth,clientAuth", "subjectAltName=IP:" + ip, ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl("req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", name + "-key.pem", "-out", name + ".csr",
                "-subj", "/CN=" + ip);
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", name + "-cert.pem", "-days", "2", "-extfile", name + ".ext");
        return this;
    }

    public Path cert(String name) {
        return dir.resolve(name + "-cert.pem");
    }

    public Path key(String name) {
        return dir.resolve(name + "-key.pem");
    }

    /** The properties giving host number {@code index} the CA and that certificate, at those paths. */
    public static java.util.Map<String, String> hostProperties(int index, Path ca, Path cert, Path key) {
        String p = "nbdflow.hosts[" + index + "].tls.";
        return java.util.Map.of(p + "ca", ca.toString(), p + "cert", cert.toString(), p + "key", key.toString());
    }

    /** Runs openssl in the CA's folder (the file names in the arguments are relative to it). */
    private void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec openssl \"$@\"",
                dir.toString()));
        command.addAll(List.of(args));
        ExternalCommand.Result r = ExternalCommand.run(command, Duration.ofMinutes(1));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + r.stderr());
        }
    }
}
