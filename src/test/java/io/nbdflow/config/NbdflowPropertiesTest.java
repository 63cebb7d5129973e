package io.nbdflow.config;

import io.nbdflow.host.Host;
import io.nbdflow.host.Hosts;
import io.nbdflow.host.UnknownHostNameException;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** nbdflow.* binding: defaults, and every kind of bad value stops the start naming the property. */
@ExtendWith(OutputCaptureExtension.class)
class NbdflowPropertiesTest {

    @TempDir
    Path dir;

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(NbdflowProperties.class)
    @Import(Hosts.class)
    static class PropertiesOnly {
    }

    private List<String> validArgs() {
        return new ArrayList<>(List.of(
                "--nbdflow.hosts[0].name=host-a", "--nbdflow.hosts[0].address=127.0.0.1",
                "--nbdflow.hosts[0].state-dir=" + dir.resolve("a/state"),
                "--nbdflow.hosts[0].storage-dir=" + dir.resolve("a/images"),
                "--nbdflow.hosts[1].name=host-b", "--nbdflow.hosts[1].address=127.0.0.2",
                "--nbdflow.hosts[1].state-dir=" + dir.resolve("b/state"),
                "--nbdflow.hosts[1].storage-dir=" + dir.resolve("b/images")));
    }

    /** Starts a context the way the application does (application.yaml, command line) and expects failure. */
    private String startFails(CapturedOutput output, List<String> args) {
        SpringApplicationBuilder app = new SpringApplicationBuilder(PropertiesOnly.class)
                .web(WebApplicationType.NONE).logStartupInfo(false);
        assertThatThrownBy(() -> app.run(args.toArray(String[]::new)).close()).isInstanceOf(Exception.class);
        return output.getAll();
    }

    private ApplicationContextRunner runner(String... extra) {
        return new ApplicationContextRunner().withUserConfiguration(PropertiesOnly.class)
                .withPropertyValues(validArgs().stream().map(a -> a.substring(2)).toArray(String[]::new))
                .withPropertyValues(extra);
    }

    @Test
    void bindsHostsAndDefaultsAndCreatesFolders() {
        runner().run(context -> {
            assertThat(context).hasNotFailed();
            NbdflowProperties p = context.getBean(NbdflowProperties.class);
            assertThat(p.qemuIoBinary()).isEqualTo("qemu-io");
            assertThat(p.dataDir()).isEqualTo("./data");
            assertThat(p.migration().convergenceTimeoutMin()).isEqualTo(Duration.ofSeconds(60));
            assertThat(p.migration().convergenceSecondsPerGib()).isEqualTo(120);
            assertThat(p.migration().convergenceBandwidthFactor()).isEqualTo(2.0);
            assertThat(p.migration().pollInterval()).isEqualTo(Duration.ofSeconds(1));
            assertThat(p.migration().qemuStopTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(p.migration().switchoverTimeout()).isEqualTo(Duration.ofSeconds(60));

            Hosts hosts = context.getBean(Hosts.class);
            assertThat(hosts.all()).extracting(Host::name).containsExactly("host-a", "host-b");
            Host b = hosts.get("host-b");
            assertThat(b.address()).isEqualTo(InetAddress.getByName("127.0.0.2"));
            assertThat(b.stateDir()).isEqualTo(dir.resolve("b/state"));
            assertThat(Files.isDirectory(b.stateDir())).isTrue();
            assertThat(Files.isDirectory(b.storageDir())).isTrue();
            assertThat(hosts.ports()).isEqualTo(new PortRange(49152, 49215));
            assertThat(hosts.find("host-c")).isEmpty();
            assertThatThrownBy(() -> hosts.get("host-c")).isInstanceOf(UnknownHostNameException.class)
                    .hasMessage("unknown host 'host-c'; configured: host-a, host-b");
        });
    }

    @Test
    void bindsTheMigrationBlockAndPorts() {
        runner("nbdflow.ports=50000-50009", "nbdflow.migration.poll-interval=250ms",
                "nbdflow.migration.convergence-seconds-per-gib=30",
                "nbdflow.migration.convergence-bandwidth-factor=1.5",
                "nbdflow.migration.host-unreachable-timeout=90s").run(context -> {
            assertThat(context).hasNotFailed();
            NbdflowProperties p = context.getBean(NbdflowProperties.class);
            assertThat(p.migration().hostUnreachableTimeout()).isEqualTo(Duration.ofSeconds(90));
            assertThat(p.migration().pollInterval()).isEqualTo(Duration.ofMillis(250));
            assertThat(p.migration().convergenceSecondsPerGib()).isEqualTo(30);
            assertThat(p.migration().convergenceBandwidthFactor()).isEqualTo(1.5);
            assertThat(context.getBean(Hosts.class).ports()).isEqualTo(new PortRange(50000, 50009));
        });
    }

    @Test
    void unknownKeyStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.add("--nbdflow.qemu-binray=qemu");
        assertThat(startFails(output, args)).contains("nbdflow.qemu-binray");
    }

    @Test
    void unknownKeyInAHostStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.add("--nbdflow.hosts[1].adress=127.0.0.3");
        assertThat(startFails(output, args)).contains("nbdflow.hosts[1].adress");
    }

    @Test
    void badAddressStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.set(5, "--nbdflow.hosts[1].address=abc");
        assertThat(startFails(output, args))
                .contains("Property: nbdflow.hosts[1].address")
                .contains("'abc' is not an IP address");
    }

    @Test
    void duplicateHostNameStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.set(4, "--nbdflow.hosts[1].name=host-a");
        assertThat(startFails(output, args))
                .contains("Property: nbdflow.hosts[1].name")
                .contains("duplicate host name 'host-a'");
    }

    @Test
    void badPortRangeStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.add("--nbdflow.ports=49215-49152");
        assertThat(startFails(output, args))
                .contains("Property: nbdflow.ports")
                .contains("'49215-49152' is not a port range");
    }

    @Test
    void relativePathStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.set(2, "--nbdflow.hosts[0].state-dir=relative/state");
        assertThat(startFails(output, args))
                .contains("Property: nbdflow.hosts[0].state-dir")
                .contains("'relative/state' is not an absolute path");
    }

    @Test
    void imageDirsDefaultToTheStorageDirAndAreBound() {
        runner("nbdflow.hosts[1].image-dirs[0]=" + dir.resolve("b/images"),
                "nbdflow.hosts[1].image-dirs[1]=" + dir.resolve("shared/../templates")).run(context -> {
            assertThat(context).hasNotFailed();
            Hosts hosts = context.getBean(Hosts.class);
            assertThat(hosts.get("host-a").imageDirs()).containsExactly(dir.resolve("a/images"));
            assertThat(hosts.get("host-b").imageDirs()).containsExactly(dir.resolve("b/images"), dir.resolve("templates"));
        });
    }

    @Test
    void aRelativeOrRootImageDirStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.add("--nbdflow.hosts[0].image-dirs[0]=" + dir.resolve("a/images"));
        args.add("--nbdflow.hosts[0].image-dirs[1]=images");
        assertThat(startFails(output, args))
                .contains("Property: nbdflow.hosts[0].image-dirs[1]")
                .contains("'images' is not an absolute path");

        List<String> root = validArgs();
        root.add("--nbdflow.hosts[1].image-dirs[0]=/");
        assertThat(startFails(output, root))
                .contains("Property: nbdflow.hosts[1].image-dirs[0]")
                .contains("every file of the host");
    }

    @Test
    void tlsIsBoundWithAllThreeFilesOrStopsTheStart(CapturedOutput output) {
        runner("nbdflow.hosts[1].tls.ca=/etc/nbdflow/ca.pem", "nbdflow.hosts[1].tls.cert=/etc/nbdflow/cert.pem",
                "nbdflow.hosts[1].tls.key=/etc/nbdflow/key.pem").run(context -> {
            assertThat(context).hasNotFailed();
            Hosts hosts = context.getBean(Hosts.class);
            assertThat(hosts.get("host-a").tls()).isNull();
            assertThat(hosts.get("host-b").tls().cert()).isEqualTo(Path.of("/etc/nbdflow/cert.pem"));
        });

        List<String> partial = validArgs();
        partial.add("--nbdflow.hosts[0].tls.ca=/etc/nbdflow/ca.pem");
        partial.add("--nbdflow.hosts[0].tls.cert=cert.pem");
        assertThat(startFails(output, partial))
                .contains("Property: nbdflow.hosts[0].tls.key").contains("is required")
                .contains("Property: nbdflow.hosts[0].tls.cert").contains("'cert.pem' is not an absolute path");
    }

    @Test
    void aHostUnreachableTimeoutOfZeroStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.add("--nbdflow.migration.host-unreachable-timeout=0s");
        assertThat(startFails(output, args))
                .contains("nbdflow.migration.host-unreachable-timeout")
                .contains("must be a positive duration");
    }

    @Test
    void badConvergenceFactorStopsTheStart(CapturedOutput output) {
        List<String> args = validArgs();
        args.add("--nbdflow.migration.convergence-bandwidth-factor=-1");
        assertThat(startFails(output, args))
                .contains("Property: nbdflow.migration.convergence-bandwidth-factor")
                .contains("must be between 0 (ignore the bandwidth limit) and 100");
    }

    @Test
    void addressesAreLiteralsOnly() {
        assertThat(IpLiteral.parse("127.0.0.2").getHostAddress()).isEqualTo("127.0.0.2");
        assertThat(IpLiteral.parse("::1").isLoopbackAddress()).isTrue();
        for (String bad : List.of("localhost", "abc", "256.1.1.1", "1.2.3", "1.2.3.4.5", "", "example.com")) {
            assertThatThrownBy(() -> IpLiteral.parse(bad)).as(bad)
                    .hasMessage("'" + bad + "' is not an IP address");
        }
    }

    @Test
    void portRanges() {
        assertThat(PortRange.parse("49152-49215")).isEqualTo(new PortRange(49152, 49215));
        assertThat(PortRange.parse("49152-49215").size()).isEqualTo(64);
        assertThat(PortRange.parse("5000")).isEqualTo(new PortRange(5000, 5000));
        for (String bad : List.of("", "a-b", "0-10", "10-5", "1-70000", "1-2-3")) {
            assertThatThrownBy(() -> PortRange.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a port range");
        }
    }
}
