package io.nbdflow.e2e;

import io.nbdflow.migration.StorageTransport;
import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.host.CapabilityProbe;
import io.nbdflow.host.HostQemu;
import io.nbdflow.host.QemuCapabilityProbe;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The migration modes on real QEMU: the legacy block migration (tunnelled, or a side "without NBD"
 * through an injected capability probe), selective disks with a shared disk, refusals that touch
 * nothing, the bandwidth limit of the mirror, and the port allocator under concurrent migrations.
 */
@Import(ModesTest.ProbeConfig.class)
class ModesTest extends MigrationTestBase {
    /** Small guests: nothing here needs a slow RAM migration. */
    static final int MEMORY_MIB = 64;

    /** Set by a test to present a destination QEMU without an NBD server. */
    static volatile boolean destinationWithoutNbd;
    /** Set by a test to present a source QEMU without blockdev-mirror. */
    static volatile boolean sourceWithoutMirror;

    /** The real probe, minus what a test says is missing. */
    @TestConfiguration
    static class ProbeConfig {
        @Bean
        @Primary
        CapabilityProbe injectableProbe(QemuCapabilityProbe real) {
            return new CapabilityProbe() {
                @Override
                public Set<String> sourceCommands(QmpClient sourceMonitor) throws QmpException {
                    Set<String> commands = new TreeSet<>(real.sourceCommands(sourceMonitor));
                    if (sourceWithoutMirror) {
                        commands.remove("blockdev-mirror");
                    }
                    return commands;
                }

                @Override
                public HostQemu hostQemu(Host host) {
                    return real.hostQemu(host);
                }

                @Override
                public Set<String> destinationCommands(Host destination) {
                    Set<String> commands = new TreeSet<>(real.destinationCommands(destination));
                    if (destinationWithoutNbd) {
                        commands.remove("nbd-server-start");
                    }
                    return commands;
                }
            };
        }
    }

    @AfterEach
    void realCapabilitiesAgain() {
        destinationWithoutNbd = false;
        sourceWithoutMirror = false;
    }

    // ---- 1. tunnelled → legacy

    @Test
    void tunnelledMigrationTakesTheLegacyBlockMigrationWithAGuestWriteDuringIt() throws Exception {
        String name = "md-tun";
        Path vda = startDomain(name, Map.of("vda", 64 * MiB), 16 * MiB);
        String id = migrate(name, Map.of("destinationHost", "host-b", "tunnelled", true, "bandwidthMiBps", 8));
        boolean writtenDuring;
        try (QmpClient qmp = tools(name)) {
            writtenDuring = awaitMigrationActive(qmp, Duration.ofSeconds(60));
            if (writtenDuring) {
                guestWrite(qmp, "virtio-disk0", "write -P 0x77 32M 1M");
            }
        }
        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.LEGACY.value());
        assertThat((String) vars.get(Vars.COOKIE_BEGIN)).contains("<qemu-migration>").doesNotContain("<nbd");
        assertThat(vars).doesNotContainKey(Vars.NBD_PORT);
        assertThat(writtenDuring).as("the block migration was still running when the guest wrote").isTrue();
        System.out.println("legacy figures: downtimeMs=" + vars.get(Vars.DOWNTIME_MS) + " bytesMirrored="
                + vars.get(Vars.BYTES_MIRRORED) + " totalTimeMs=" + vars.get(Vars.TOTAL_TIME_MS));
        assertThat((Long) vars.get(Vars.BYTES_MIRRORED)).as("disk bytes QEMU transferred")
                .isGreaterThanOrEqualTo(16 * MiB);
        assertThat((Long) vars.get(Vars.DOWNTIME_MS)).isPositive();
        assertThat(Ports.isListening(hostB().address(), ((Number) vars.get(Vars.MIGRATION_PORT)).intValue()))
                .as("incoming migration port closed").isFalse();

        Path copy = assertMovedToHostB(name, "vda");
        stop(name);
        assertThat(TestImages.compare(vda, copy)).as("images identical").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x11, 0, 16 * MiB)).as("written before").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x77, 32 * MiB, MiB)).as("guest write during").isTrue();
    }

    // ---- 2. no NBD on one side (injected probe) → legacy

    @Test
    void destinationWithoutNbdServerFallsBackToLegacy() throws Exception {
        destinationWithoutNbd = true;
        assertLegacyFallback("md-nonbd-dst", "nbd-server-start");
    }

    @Test
    void sourceWithoutBlockdevMirrorFallsBackToLegacy() throws Exception {
        sourceWithoutMirror = true;
        assertLegacyFallback("md-nonbd-src", "blockdev-mirror");
    }

    private void assertLegacyFallback(String name, String missing) throws Exception {
        Path vda = startDomain(name, Map.of("vda", 32 * MiB), 8 * MiB);
        String id = migrate(name, Map.of("destinationHost", "host-b"));
        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.LEGACY.value());
        // the source puts <nbd> in its cookie only if it can mirror; the destination's answer decides too
        if (missing.equals("blockdev-mirror")) {
            assertThat((String) vars.get(Vars.COOKIE_BEGIN)).doesNotContain("<nbd");
        } else {
            assertThat((String) vars.get(Vars.COOKIE_BEGIN)).contains("<nbd>");
        }
        assertThat((String) vars.get(Vars.COOKIE_PREPARE)).doesNotContain("<nbd");
        Path copy = assertMovedToHostB(name, "vda");
        stop(name);
        assertThat(TestImages.compare(vda, copy)).as("images identical").isTrue();
    }

    // ---- 3. selective disks over NBD

    @Test
    void selectedDiskIsCopiedAndTheOtherStaysSharedWithAGuestWriteDuringTheMirror() throws Exception {
        String name = "md-sel";
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("vda", 64 * MiB);
        sizes.put("vdb", 32 * MiB);
        startDomain(name, sizes, 8 * MiB);
        Path vda = hostA().storageDir().resolve(name + "-src-vda.qcow2");
        Path vdb = hostA().storageDir().resolve(name + "-src-vdb.qcow2");
        Set<String> before = destinationStorage();

        String id = migrate(name, Map.of("destinationHost", "host-b", "migrateDisks", "vda", "bandwidthMiBps", 8));
        try (QmpClient qmp = tools(name)) {
            awaitMirrorJobs(qmp, 1);
            assertThat(SourceSide.mirrorJobs(qmp)).as("one mirror, still running").hasSize(1)
                    .allMatch(j -> !j.ready());
            guestWrite(qmp, "virtio-disk1", "write -P 0x78 4M 1M");   // inside the written area
            guestWrite(qmp, "virtio-disk1", "write -P 0x79 20M 1M");  // a new cluster: qcow2 metadata changes
            guestWrite(qmp, "virtio-disk0", "write -P 0x77 40M 1M");
        }
        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.NBD.value());
        assertThat((String) vars.get(Vars.COOKIE_BEGIN)).contains("<disk target='vda'").doesNotContain("target='vdb'");

        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        Path copy = hostB().storageDir().resolve(name + "-vda.qcow2");
        assertThat(domain.path("disks").findValuesAsText("file")).containsExactly(copy.toString(), vdb.toString());
        Set<String> created = destinationStorage();
        created.removeAll(before);
        assertThat(created).as("only vda pre-created on host-b").containsExactly(name + "-vda.qcow2");

        stop(name);
        assertThat(TestImages.compare(vda, copy)).as("vda identical").isTrue();
        assertThat(TestImages.verify(copy, "qcow2", 0x77, 40 * MiB, MiB)).as("vda write during the mirror").isTrue();
        assertThat(TestImages.verify(vdb, "qcow2", 0x78, 4 * MiB, MiB)).as("vdb write (allocated area)").isTrue();
        assertThat(TestImages.verify(vdb, "qcow2", 0x79, 20 * MiB, MiB)).as("vdb write (new cluster)").isTrue();
        assertThat(TestImages.verify(vdb, "qcow2", 0x11, 0, 4 * MiB)).as("vdb's earlier content").isTrue();
        assertThat(check(vdb)).as("qemu-img check of the shared vdb").isZero();
    }

    // ---- 4. legacy cannot honour a selection

    @Test
    void legacyWithASelectionOfWritableDisksIsRefused() throws Exception {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("vda", 16 * MiB);
        sizes.put("vdb", 16 * MiB);
        FaultScenario s = scenario("md-tunsel", MEMORY_MIB, sizes, MiB,
                Map.of("destinationHost", "host-b", "tunnelled", true, "migrateDisks", "vda"));
        s.migrate();
        s.awaitEnd(Duration.ofSeconds(60));
        s.assertRefusedUntouched(Vars.MIGRATE_DISKS);
    }

    // ---- 5. refusals

    @Test
    void badRequestsAreRefusedAndTouchNothing() throws Exception {
        String running = "md-ref";
        startDomain(running, Map.of("vda", 16 * MiB), MiB);
        String off = "md-ref-off";
        define(off, Map.of("vda", 16 * MiB), MiB);

        record Case(String label, String field, String domain, Map<String, Object> vars) { }
        String to = Vars.DESTINATION_HOST;
        List<Case> cases = List.of(
                new Case("unknown domain", Vars.DOMAIN, "md-nobody", Map.of(to, "host-b")),
                new Case("domain not running", Vars.DOMAIN, off, Map.of(to, "host-b")),
                new Case("unknown destination", Vars.DESTINATION_HOST, running, Map.of(to, "host-z")),
                new Case("destination = current host", Vars.DESTINATION_HOST, running, Map.of(to, "host-a")),
                new Case("bad copyStorage", Vars.COPY_STORAGE, running,
                        Map.of(to, "host-b", Vars.COPY_STORAGE, "bogus")),
                new Case("unknown disk", Vars.MIGRATE_DISKS, running,
                        Map.of(to, "host-b", Vars.MIGRATE_DISKS, "vdz")),
                new Case("negative bandwidth", Vars.BANDWIDTH_MIBPS, running,
                        Map.of(to, "host-b", Vars.BANDWIDTH_MIBPS, -1L)),
                new Case("bandwidth beyond any link (its bytes/s would overflow)", Vars.BANDWIDTH_MIBPS, running,
                        Map.of(to, "host-b", Vars.BANDWIDTH_MIBPS, Long.MAX_VALUE / 1024)));
        for (Case c : cases) {
            Set<String> before = destinationStorage();
            Map<String, Object> vars = new HashMap<>(c.vars());
            vars.put(Vars.DOMAIN, c.domain());
            String id = processEngine.getRuntimeService().startProcessInstanceByKey(Bpmn.PROCESS_KEY, vars).getId();
            awaitEnd(id, Duration.ofSeconds(60));
            Map<String, Object> result = variables(id);
            assertThat(result.get(Vars.OUTCOME)).as("%s: failureReason %s", c.label(), result.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_REFUSED);
            assertThat((String) result.get(Vars.FAILURE_REASON)).as(c.label()).startsWith(c.field() + ":");
            assertNothingOnHostB(c.domain(), result, before, c.label());
            assertNoPortReserved(id);
        }
        JsonNode domain = api().getForObject("/api/domains/" + running, JsonNode.class);
        assertThat(domain.path("state").asText()).as("released by every refusal").isEqualTo("running");
        assertThat(domain.path("host").asText()).isEqualTo("host-a");
        assertThat(api().getForObject("/api/domains/" + off, JsonNode.class).path("state").asText())
                .isEqualTo("shutoff");
    }

    // ---- 6. bandwidth

    @Test
    void mirrorRespectsTheBandwidthLimit() throws Exception {
        String name = "md-bw";
        startDomain(name, Map.of("vda", 128 * MiB), 32 * MiB);
        String id = migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 16));
        awaitEnd(id, Duration.ofSeconds(180));
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("failureReason: %s", vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        assertThat(vars.get(Vars.STORAGE_TRANSPORT)).isEqualTo(StorageTransport.NBD.value());

        List<HistoricActivityInstance> acts = processEngine.getHistoryService().createHistoricActivityInstanceQuery()
                .processInstanceId(id).list();
        long mirrorStart = acts.stream().filter(a -> a.getActivityId().startsWith(Bpmn.MIRROR_DISKS))
                .mapToLong(a -> a.getStartTime().getTime()).min().orElseThrow();
        long steady = acts.stream().filter(a -> a.getActivityId().equals(Bpmn.WAIT_STEADY_STATE))
                .mapToLong(a -> a.getEndTime().getTime()).max().orElseThrow();
        double seconds = (steady - mirrorStart) / 1000.0;
        double rate = 128 / seconds;
        System.out.printf("bandwidth: 128 MiB mirrored to steady state in %.2f s = %.1f MiB/s (limit 16)%n",
                seconds, rate);
        assertThat(seconds).as("mirror time at 16 MiB/s (rate %.1f MiB/s)", rate).isGreaterThanOrEqualTo(128 / 16 * 0.8);
        stop(name);
    }

    // ---- 7. ports under concurrent migrations

    @Test
    void concurrentMigrationsGetDistinctPorts() throws Exception {
        List<String> names = List.of("md-par1", "md-par2", "md-par3");
        List<Path> sources = new ArrayList<>();
        for (String name : names) {
            sources.add(startDomain(name, Map.of("vda", 64 * MiB), 8 * MiB));
        }
        List<String> ids = new ArrayList<>();
        for (String name : names) {
            ids.add(migrate(name, Map.of("destinationHost", "host-b", "bandwidthMiBps", 8)));
        }
        // while at least two mirror, every reserved port is held by one migration only
        long mirroring = Wait.until("two migrations mirroring at once", Duration.ofSeconds(90),
                () -> ids.stream().filter(id -> processEngine.getRuntimeService().createExecutionQuery()
                        .processInstanceId(id).activityId(Bpmn.WAIT_STEADY_STATE).count() > 0).count(),
                n -> n >= 2);
        List<Integer> ports = new ArrayList<>();
        for (String id : ids) {
            if (processEngine.getRuntimeService().createProcessInstanceQuery().processInstanceId(id).count() == 0) {
                continue;
            }
            for (String v : List.of(Vars.NBD_PORT, Vars.MIGRATION_PORT)) {
                Object port = processEngine.getRuntimeService().getVariable(id, v);
                if (port != null) {
                    ports.add(((Number) port).intValue());
                }
            }
        }
        System.out.println("ports of the running migrations (" + mirroring + " mirroring): " + ports);
        assertThat(ports).as("ports of running migrations").hasSizeGreaterThanOrEqualTo(4)
                .doesNotHaveDuplicates();

        for (String id : ids) {
            awaitEnd(id, Duration.ofSeconds(180));
        }
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            Map<String, Object> vars = variables(ids.get(i));
            assertThat(vars.get(Vars.OUTCOME)).as("%s: %s", names.get(i), vars.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            assertThat(all.add(((Number) vars.get(Vars.NBD_PORT)).intValue())).as("nbd port unique").isTrue();
            assertThat(all.add(((Number) vars.get(Vars.MIGRATION_PORT)).intValue())).as("migration port unique")
                    .isTrue();
            Path copy = assertMovedToHostB(names.get(i), "vda");
            stop(names.get(i));
            assertThat(TestImages.compare(sources.get(i), copy)).as(names.get(i) + " identical").isTrue();
        }
    }

    // ---- helpers

    private Path define(String name, Map<String, Long> sizes, long written) {
        return defineDomain(name, MEMORY_MIB, sizes, written);
    }

    private Path startDomain(String name, Map<String, Long> sizes, long written) {
        return startDomain(name, MEMORY_MIB, sizes, written);
    }

    /** The domain runs on host-b; returns its copy of that disk in host-b's storage. */
    private Path assertMovedToHostB(String name, String target) {
        JsonNode domain = api().getForObject("/api/domains/" + name, JsonNode.class);
        assertThat(domain.path("host").asText()).isEqualTo("host-b");
        assertThat(domain.path("state").asText()).isEqualTo("running");
        Path copy = hostB().storageDir().resolve(name + "-" + target + ".qcow2");
        assertThat(domain.path("disks").findValuesAsText("file")).contains(copy.toString());
        assertThat(hostA().domainDir(name)).as("source QEMU's folder").doesNotExist();
        return copy;
    }

    /** Waits until the source's migration is active; false if it was over before we saw it running. */
    private static boolean awaitMigrationActive(QmpClient qmp, Duration timeout) throws Exception {
        String status = Wait.every(Duration.ofMillis(10)).until("block migration started", timeout,
                () -> SourceSide.queryMigrate(qmp).status(), st -> st.equals("active") || st.equals("completed"));
        return status.equals("active");
    }

    /** qemu-img check's exit code: 0 = no errors. */
    private static int check(Path image) {
        return io.nbdflow.host.ExternalCommand.run(List.of("qemu-img", "check", "-q", image.toString()),
                Duration.ofMinutes(1)).exitCode();
    }
}
