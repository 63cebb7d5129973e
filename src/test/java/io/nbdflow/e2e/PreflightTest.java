package io.nbdflow.e2e;

import io.nbdflow.testsupport.ThisMachine;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.CapabilityProbe;
import io.nbdflow.host.ExternalCommand;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostQemu;
import io.nbdflow.host.QemuCapabilityProbe;
import io.nbdflow.process.Vars;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import io.nbdflow.testsupport.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Inspect source refuses about the destination before anything is created there: too little
 * free space in its storage-dir (a small tmpfs mounted over it), a storage-dir it cannot write (a
 * read-only tmpfs), a missing qemu-img (the configured binary, a link, removed), a destination
 * QEMU without the source's machine type and a destination that would run the guest under another
 * accelerator (both presented by a probe that hides them). Each refusal names the host and the
 * numbers or types, leaves host-b as it was and the domain running on host-a; the same migration
 * succeeds once the cause is gone.
 * <p>
 * Its own application context (a configured qemu-img of its own, the probe, mounts over host-b's
 * storage), closed after the class.
 */
@Import(PreflightTest.ProbeConfig.class)
@DirtiesContext
class PreflightTest extends MigrationTestBase {
    /** The configured qemu-img: a link to the real one that a test removes. */
    private static final Path QEMU_IMG_LINK;

    static {
        try {
            QEMU_IMG_LINK = Files.createTempDirectory(Path.of("/tmp"), "nbdpf").resolve("qemu-img");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Set by a test: host-b's QEMU presented without KVM (AUTO then means TCG there). */
    static volatile boolean destinationWithoutKvm;
    /** Set by a test: host-b's QEMU presented without any pc-i440fx type. */
    static volatile boolean destinationWithoutI440fx;

    @DynamicPropertySource
    static void qemuImg(DynamicPropertyRegistry registry) {
        linkQemuImg();
        registry.add("nbdflow.qemu-img-binary", QEMU_IMG_LINK::toString);
    }

    @TestConfiguration
    static class ProbeConfig {
        @Bean
        @Primary
        CapabilityProbe presentingProbe(QemuCapabilityProbe real) {
            return new CapabilityProbe() {
                @Override
                public Set<String> sourceCommands(QmpClient sourceMonitor) throws QmpException {
                    return real.sourceCommands(sourceMonitor);
                }

                @Override
                public Set<String> destinationCommands(Host destination) {
                    return hostQemu(destination).commands();
                }

                @Override
                public HostQemu hostQemu(Host host) {
                    HostQemu q = real.hostQemu(host);
                    if (!host.name().equals("host-b")) {
                        return q;
                    }
                    Set<String> machines = new TreeSet<>(q.machines());
                    if (destinationWithoutI440fx) {
                        machines.removeIf(m -> m.startsWith("pc-i440fx-"));
                    }
                    return new HostQemu(q.version(), q.commands(), q.kvmUsable() && !destinationWithoutKvm,
                            machines, q.defaultMachine());
                }
            };
        }
    }

    @BeforeEach
    void realQemuImg() {
        linkQemuImg();
        destinationWithoutKvm = false;
        destinationWithoutI440fx = false;
    }

    @AfterEach
    void presentTheRealQemu() {
        destinationWithoutKvm = false;
        destinationWithoutI440fx = false;
    }

    @AfterAll
    static void removeLink() throws IOException {
        Files.deleteIfExists(QEMU_IMG_LINK);
        Files.deleteIfExists(QEMU_IMG_LINK.getParent());
    }

    @Test
    void tooLittleFreeSpaceForARawDiskIsRefusedWithTheNumbers() throws Exception {
        String name = "pf-space";
        // a raw disk needs its virtual size on the destination, however little of it is written
        Path raw = TestImages.create(hostA().storageDir(), name + "-src-vda.raw", "raw", 48 * MiB);
        FaultScenario s = new FaultScenario(this, name, startRawDomain(name, raw),
                Map.of("destinationHost", "host-b"));
        Path storage = hostB().storageDir();
        mount(storage, "size=100m");
        try {
            s.migrate();
            s.awaitEnd(Duration.ofSeconds(60));
            s.assertRefusedUntouched(Vars.DESTINATION_HOST);
            // 48 MiB + 5% + 64 MiB = 114.4 MiB needed, 100 MiB free
            assertThat(s.failureReason()).contains("host 'host-b'", storage.toString(), "115 MiB needed",
                    "48 MiB of disks to copy", "100 MiB free");
        } finally {
            unmount(storage);
        }
        migrateAndStop(name);
    }

    @Test
    void anUnwritableStorageDirIsRefused() throws Exception {
        String name = "pf-ro";
        FaultScenario s = scenario(name, 16 * MiB, MiB, Map.of("destinationHost", "host-b"));
        guestWriteOn(name);
        Path storage = hostB().storageDir();
        mount(storage, "ro,size=64m");
        try {
            s.migrate();
            s.awaitEnd(Duration.ofSeconds(60));
            s.assertRefusedUntouched(Vars.DESTINATION_HOST);
            assertThat(s.failureReason()).contains("storage-dir " + storage, "host 'host-b'", "not writable",
                    "Read-only file system");
        } finally {
            unmount(storage);
        }
        s.assertSameMigrationSucceeds();
    }

    @Test
    void aMissingQemuImgIsRefused() throws Exception {
        String name = "pf-bin";
        FaultScenario s = scenario(name, 16 * MiB, MiB, Map.of("destinationHost", "host-b"));
        guestWriteOn(name);
        Files.delete(QEMU_IMG_LINK);
        try {
            s.migrate();
            s.awaitEnd(Duration.ofSeconds(60));
            s.assertRefusedUntouched(Vars.DESTINATION_HOST);
            assertThat(s.failureReason()).contains("host 'host-b'", "no program '" + QEMU_IMG_LINK + "'");
        } finally {
            linkQemuImg();
        }
        s.assertSameMigrationSucceeds();
    }

    @Test
    void aDestinationWithoutTheSourcesMachineTypeIsRefused() throws Exception {
        String name = "pf-type";
        FaultScenario s = scenario(name, 16 * MiB, MiB, Map.of("destinationHost", "host-b"));
        guestWriteOn(name);
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("machineType").asText()).as("the type pc resolves to, recorded").isEqualTo("pc-i440fx-7.2");
        assertThat(domain.path("accelerator").asText()).as("AUTO: KVM where it works")
                .isEqualTo(ThisMachine.autoAccelerator());
        destinationWithoutI440fx = true;
        s.migrate();
        s.awaitEnd(Duration.ofSeconds(60));
        s.assertRefusedUntouched(Vars.DESTINATION_HOST);
        assertThat(s.failureReason()).contains("machine type 'pc-i440fx-7.2'", "host 'host-a'", "host 'host-b'",
                "lacks");
        destinationWithoutI440fx = false;
        s.assertSameMigrationSucceeds();
    }

    /**
     * A KVM guest cannot go to a host that would run it with TCG. Where this machine has no KVM the
     * source runs TCG too, so the same destination is no mix and the migration must go through.
     */
    @Test
    void mixedAcceleratorsAreRefused() throws Exception {
        String name = "pf-accel";
        FaultScenario s = scenario(name, 16 * MiB, MiB, Map.of("destinationHost", "host-b"));
        guestWriteOn(name);
        destinationWithoutKvm = true;
        if (!ThisMachine.kvmWorks()) {
            s.assertSameMigrationSucceeds();
            return;
        }
        s.migrate();
        s.awaitEnd(Duration.ofSeconds(60));
        s.assertRefusedUntouched(Vars.DESTINATION_HOST);
        assertThat(s.failureReason()).contains("mixed accelerators", "kvm on host 'host-a'",
                "host 'host-b' would run it with tcg");
        destinationWithoutKvm = false;
        s.assertSameMigrationSucceeds();
    }

    /** The guest's write that the migration after the refusal must carry. */
    private void guestWriteOn(String name) throws Exception {
        try (QmpClient qmp = tools(name)) {
            guestWrite(qmp);
        }
    }

    /** Defines and starts a domain on host-a with that raw disk as vda; returns the disk. */
    private Path startRawDomain(String name, Path raw) {
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", 64, "vcpus", 1, "disks",
                        List.of(Map.of("target", "vda", "file", raw.toString(), "format", "raw")))), String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        return raw;
    }

    /** With the space back, the same migration succeeds; then the domain is stopped on host-b. */
    private void migrateAndStop(String name) throws Exception {
        String again = migrate(name, Map.of("destinationHost", "host-b"));
        awaitEnd(again, Duration.ofSeconds(120));
        assertThat(variables(again).get(Vars.OUTCOME)).as("failureReason: %s", variables(again)
                .get(Vars.FAILURE_REASON)).isEqualTo(Vars.OUTCOME_MIGRATED);
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("machineType").asText()).isEqualTo("pc-i440fx-7.2");
        assertThat(domain.path("accelerator").asText()).isEqualTo(ThisMachine.autoAccelerator());
        stop(name);
    }

    private static void linkQemuImg() {
        try {
            if (!Files.exists(QEMU_IMG_LINK, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(QEMU_IMG_LINK, Path.of("/usr/bin/qemu-img"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void mount(Path dir, String options) {
        run(List.of("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString()));
    }

    /** Unmounts; lazily if something still holds it, so that no mount outlives the test. */
    private static void unmount(Path dir) {
        ExternalCommand.Result r = ExternalCommand.run(List.of("umount", dir.toString()), Duration.ofSeconds(30));
        if (r.exitCode() != 0) {
            run(List.of("umount", "-l", dir.toString()));
            throw new AssertionError("umount " + dir + " failed: " + r.stdout() + r.stderr());
        }
    }

    private static void run(List<String> command) {
        ExternalCommand.Result r = ExternalCommand.run(command, Duration.ofSeconds(30));
        assertThat(r.exitCode()).as("%s: %s%s", command, r.stdout(), r.stderr()).isZero();
    }
}
