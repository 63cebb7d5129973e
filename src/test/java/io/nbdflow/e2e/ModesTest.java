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
 * The migration modes on real QEMU: the legacy block migration (tunnelled, in
 * {@link LegacyAndSelectiveCases}, or a side "without NBD" through an injected capability probe),
 * selective disks with a shared disk (also there), refusals that touch nothing, the bandwidth
 * limit of the mirror, and the port allocator under concurrent migrations.
 */
@Import(ModesTest.ProbeConfig.class)
class ModesTest extends LegacyAndSelectiveCases {

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
        // the limit holds back data; the disk's unwritten part travels as NBD write-zeroes, at once
        startDomain(name, Map.of("vda", 128 * MiB), 96 * MiB);
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
        double rate = 96 / seconds;
        System.out.printf("bandwidth: 96 MiB of data mirrored to steady state in %.2f s = %.1f MiB/s (limit 16)%n",
                seconds, rate);
        assertThat(seconds).as("mirror time at 16 MiB/s (rate %.1f MiB/s)", rate).isGreaterThanOrEqualTo(96 / 16 * 0.8);
        stop(name);
    }

    // ---- 7. ports under concurrent migrations

    @Test
    void concurrentMigrationsGetDistinctPorts() throws Exception {
        List<String> names = List.of("md-par1", "md-par2", "md-par3");
        List<Path> sources = new ArrayList<>();
        for (String name : names) {
            // 32 MiB of data at 8 MiB/s: each mirror copies for seconds (the unwritten part costs nothing)
            sources.add(startDomain(name, Map.of("vda", 64 * MiB), 32 * MiB));
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
}
