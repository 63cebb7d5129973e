package io.nbdflow.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.nbdflow.NbdflowApplication;
import io.nbdflow.testsupport.NbdflowTestContext;
import io.nbdflow.testsupport.QemuReaper;

import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The server as a user starts it, with a file database and HTTPS from Spring Boot's server.ssl.*
 * (a certificate made here with the JDK's keytool): HTTPS answers, plain HTTP on that port does not,
 * the socket listens on 127.0.0.1 only (no server.address given), and the database files are the
 * application's alone (folder 0700, NAME.mv.db 0600).
 */
class TransportTest {

    private static final String STORE_PASSWORD = "changeit-" + System.nanoTime();

    @Test
    void httpsOnLoopbackOnlyAndAPrivateDatabase() throws Exception {
        Path root = NbdflowTestContext.newRoot();
        ConfigurableApplicationContext app = null;
        try {
            Path keystore = generateKeystore(root.resolve("tls.p12"));
            Path db = root.resolve("db");
            List<String> args = new ArrayList<>();
            for (String p : NbdflowTestContext.propertyArray(root,
                    "jdbc:h2:file:" + db.resolve("nbdflow") + ";DB_CLOSE_ON_EXIT=FALSE")) {
                args.add("--" + p);
            }
            args.addAll(List.of("--server.port=0", "--server.ssl.enabled=true",
                    "--server.ssl.key-store=" + keystore, "--server.ssl.key-store-type=PKCS12",
                    "--server.ssl.key-store-password=" + STORE_PASSWORD, "--server.ssl.key-alias=nbdflow",
                    // Camunda's web apps keep their engine lookup in static fields, one per JVM: a second
                    // application with web apps would take them over from the test context's (500s there)
                    "--camunda.bpm.webapp.enabled=false"));
            app = new SpringApplicationBuilder(NbdflowApplication.class).run(args.toArray(String[]::new));
            int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));

            // HTTPS with a client that trusts exactly this certificate
            HttpClient https = HttpClient.newBuilder().sslContext(trusting(keystore))
                    .connectTimeout(Duration.ofSeconds(10)).build();
            String base = "https://localhost:" + port;
            assertThat(https.send(get(base + "/actuator/health", false), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);
            assertThat(https.send(get(base + "/api/domains", false), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(401);
            assertThat(https.send(get(base + "/api/domains", true), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);

            // plain HTTP to the same port gets no API answer (Tomcat answers 400 "requires TLS", or hangs up)
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            try {
                HttpResponse<String> r = plain.send(get("http://127.0.0.1:" + port + "/api/domains", true),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
                assertThat(r.body()).doesNotContain("\"name\"");
            } catch (IOException hungUp) {
                // refused at the TLS layer: as good
            }

            // bound to 127.0.0.1 alone: another loopback address of this machine is not served
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            }
            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.2", port), 5000);
                }
            }).isInstanceOf(ConnectException.class);

            // the database: folder and file readable by the application's user only
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(db))).isEqualTo("rwx------");
            Path file = db.resolve("nbdflow.mv.db");
            assertThat(Files.size(file)).isPositive();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        } finally {
            if (app != null) {
                app.close();
            }
            QemuReaper.killAllBelow(root);
            NbdflowTestContext.deleteTree(root);
        }
    }

    private static HttpRequest get(String url, boolean login) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (login) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (NbdflowTestContext.USER + ":" + NbdflowTestContext.PASSWORD).getBytes(StandardCharsets.UTF_8)));
        }
        return b.build();
    }

    /** A self-signed certificate for localhost and 127.0.0.1, made by the JDK's keytool. */
    private static Path generateKeystore(Path file) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "nbdflow", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", file.toString(),
                "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return file;
    }

    private static SSLContext trusting(Path keystore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, STORE_PASSWORD.toCharArray());
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("nbdflow", ks.getCertificate("nbdflow"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }
}
