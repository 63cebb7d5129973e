package io.nbdflow.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.domain.DefineRequest;
import io.nbdflow.host.DiskDefinition;
import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.domain.DomainService;
import io.nbdflow.host.DiskAttachment;
import io.nbdflow.host.ExternalCommand;
import io.nbdflow.host.LaunchRequest;
import io.nbdflow.host.Monitors;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuLauncher;
import io.nbdflow.host.HostMachines;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.host.Storage;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.process.Vars;
import io.nbdflow.store.PortAllocator;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.Activity;
import org.camunda.bpm.model.bpmn.instance.FlowNode;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the workflow costs: the workflow (b) against the bare QMP sequence (a), same machine, same
 * run, same disks, alternating a/b. Not part of {@code mvn test}: run it with {@code ./nbdflow bench}
 * ({@code mvn -Pbench test}). Knobs (system properties): bench.rounds (5), bench.roundsLarge (3),
 * bench.concurrent (8), bench.concurrentRounds (2), bench.warmup (3), bench.cases (c1,c2,c3),
 * bench.syncTasks (activities without asyncBefore, in a copy of the BPMN); any Spring property, e.g.
 * -Dcamunda.bpm.job-execution.wait-time-in-millis=500, to measure a tuning. Prints a table; see
 * docs/benchmarks.md.
 */
class StorageMigrationBenchmark extends SpringQemuTest {
    private static final long MiB = TestImages.MiB;
    private static final long GiB = 1024 * MiB;
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
    /** The 2 GiB case takes 5-20 s a migration on a loaded 2-core machine: fewer rounds keep the run short. */
    private static final int ROUNDS_LARGE = Integer.getInteger("bench.roundsLarge", 3);
    private static final String CASES = System.getProperty("bench.cases", "c1,c2,c3");
    /**
     * An experiment on the process, not a setting: these activities lose their asyncBefore in a
     * copy of the BPMN deployed into the bench's own engine (the file is untouched).
     * "Task_MirrorDisks#instances" names the multi-instance loop's per-disk asyncBefore.
     */
    private static final String SYNC_TASKS = System.getProperty("bench.syncTasks", "");
    private static final int CONCURRENT = Integer.getInteger("bench.concurrent", 8);
    private static final int CONCURRENT_ROUNDS = Integer.getInteger("bench.concurrentRounds", 2);
    /** Untimed migrations first: until the JIT has compiled the engine's paths it competes with QEMU for CPU. */
    private static final int WARM_UP = Integer.getInteger("bench.warmup", 3);
    private static final String STEADY_STATE = io.nbdflow.process.Bpmn.WAIT_STEADY_STATE;

    @Autowired QemuLauncher launcher;
    @Autowired HostMachines machines;
    @Autowired QemuProcesses processes;
    @Autowired Monitors monitors;
    @Autowired Storage storage;
    @Autowired DomainService domains;
    @Autowired PortAllocator ports;
    @Autowired Environment env;

    private BareSequence bare;
    private double idleCpuNsPerMs;
    private final StringBuilder report = new StringBuilder();
    /** Tables are printed at the end, once the idle CPU rate is known (right after start-up the JIT still runs). */
    private final List<Runnable> tables = new ArrayList<>();

    /** One disk of a case: written from offset 0 with a pattern, so the copy has real data. */
    record DiskSpec(String target, long virtualSize, long written, int pattern) {
    }

    /** One migration's figures, in ms; cpuNs is the JVM's CPU while it ran (the observing thread's removed). */
    record Sample(long totalMs, long steadyMs, long downtimeMs, long cpuNs, String breakdown) {
    }

    /** CPU ms of one migration without what the idle JVM would have burnt meanwhile. */
    private long netCpuMs(long cpuNs, long wallMs) {
        return (cpuNs - (long) (idleCpuNsPerMs * wallMs)) / 1_000_000;
    }

    @Test
    void workflowAgainstBareSequence() throws Exception {
        bare = new BareSequence(launcher, processes, monitors, storage, machines);
        if (!SYNC_TASKS.isBlank()) {
            deployWithoutAsyncBefore(List.of(SYNC_TASKS.split(",")));
        }
        line("machine: %d cores, %s; engine db %s; history %s", Runtime.getRuntime().availableProcessors(),
                qemuVersion(), env.getProperty("spring.datasource.url", "?").replaceAll(";.*", ""),
                env.getProperty("camunda.bpm.history-level"));
        line("settings: job-execution wait-time-in-millis=%s max-wait=%s backoff-time-in-millis=%s "
                        + "core-pool-size=%s; nbdflow.migration.poll-interval=%s",
                env.getProperty("camunda.bpm.job-execution.wait-time-in-millis", "default"),
                env.getProperty("camunda.bpm.job-execution.max-wait", "default"),
                env.getProperty("camunda.bpm.job-execution.backoff-time-in-millis", "default"),
                env.getProperty("camunda.bpm.job-execution.core-pool-size", "default"),
                env.getProperty("nbdflow.migration.poll-interval", "1s (default)"));

        // warm-up (JIT, capability probe, connection pool), not counted
        List<Path> warm = images("warm", List.of(new DiskSpec("vda", 64 * MiB, 16 * MiB, 0x01)));
        for (int i = 1; i <= WARM_UP; i++) {
            runBare("warma" + i, warm);
            runWorkflow("warmb" + i, warm);
            cleanDestination("warma" + i, 1);
            cleanDestination("warmb" + i, 1);
        }

        if (CASES.contains("c1")) {
            singleCase("c1", "1 disk, 1 GiB virtual, 256 MiB written", ROUNDS,
                    List.of(new DiskSpec("vda", GiB, 256 * MiB, 0x11)));
        }
        if (CASES.contains("c2")) {
            singleCase("c2", "2 disks, 2 GiB virtual, 1 GiB written each", ROUNDS_LARGE,
                    List.of(new DiskSpec("vda", 2 * GiB, GiB, 0x21), new DiskSpec("vdb", 2 * GiB, GiB, 0x22)));
        }
        if (CASES.contains("c3")) {
            concurrentCase("c3", CONCURRENT + " small VMs at once (64 MiB disk, 16 MiB written)");
        }
        idleCpuNsPerMs = idleCpuRate();
        line("idle JVM CPU (engine started, nothing migrating): %.1f ms per s", idleCpuNsPerMs / 1000.0);
        tables.forEach(Runnable::run);

        System.out.println("\n===== nbdflow benchmark =====\n" + report + "=============================\n");
    }

    // ---- the two single-VM cases

    private void singleCase(String id, String title, int rounds, List<DiskSpec> disks) throws Exception {
        List<Path> files = images(id, disks);
        Samples[] a = {new Samples(), new Samples(), new Samples()};
        Samples[] b = {new Samples(), new Samples(), new Samples()};
        List<Sample> runsA = new ArrayList<>();
        List<Sample> runsB = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            // a-b, then b-a: neither side always runs on a machine the other just warmed
            boolean bareFirst = round % 2 == 1;
            for (int k = 0; k < 2; k++) {
                boolean runA = (k == 0) == bareFirst;
                String name = id + (runA ? "a" : "b") + round;
                Sample s = runA ? runBare(name, files) : runWorkflow(name, files);
                (runA ? runsA : runsB).add(s);
                Samples[] into = runA ? a : b;
                into[0].add(s.totalMs());
                into[1].add(s.steadyMs());
                into[2].add(s.downtimeMs());
            }
            if (round == 1 && id.equals("c1")) {
                assertCopiesIdentical(files, id + "a1", id + "b1");
            }
            cleanDestination(id + "a" + round, disks.size());
            cleanDestination(id + "b" + round, disks.size());
        }
        tables.add(() -> singleTable(title, rounds, a, b, runsA, runsB));
    }

    private void singleTable(String title, int rounds, Samples[] a, Samples[] b, List<Sample> runsA, List<Sample> runsB) {
        Samples cpuA = new Samples();
        Samples cpuB = new Samples();
        runsA.forEach(s -> cpuA.add(netCpuMs(s.cpuNs(), s.totalMs())));
        runsB.forEach(s -> cpuB.add(netCpuMs(s.cpuNs(), s.totalMs())));
        line("");
        line("%s (%d runs each, ms: median (min-max))", title, rounds);
        line("  %-13s %-22s %-22s %s", "", "a bare QMP", "b workflow", "b/a (medians)");
        String[] rows = {"total", "steady state", "downtime"};
        for (int i = 0; i < 3; i++) {
            line("  %-13s %-22s %-22s %.2f", rows[i], a[i].summary(), b[i].summary(), b[i].median() / a[i].median());
        }
        line("  JVM CPU per migration (idle removed), ms: a %s, b %s; engine overhead b-a %.0f ms",
                cpuA.summary(), cpuB.summary(), cpuB.median() - cpuA.median());
        line("  last a phases: %s", runsA.get(runsA.size() - 1).breakdown());
        line("  last b steps:  %s", runsB.get(runsB.size() - 1).breakdown());
    }

    // ---- many small VMs at once

    private void concurrentCase(String id, String title) throws Exception {
        List<List<Path>> vms = new ArrayList<>();
        for (int i = 0; i < CONCURRENT; i++) {
            vms.add(images(id + "v" + i, List.of(new DiskSpec("vda", 64 * MiB, 16 * MiB, 0x30 + i))));
        }
        Samples wallA = new Samples();
        Samples wallB = new Samples();
        Samples eachA = new Samples();
        Samples eachB = new Samples();
        Samples downA = new Samples();
        Samples downB = new Samples();
        List<long[]> cpuB = new ArrayList<>();
        for (int round = 1; round <= CONCURRENT_ROUNDS; round++) {
            String prefix = id + "r" + round;
            for (boolean runA : round % 2 == 1 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                String p = prefix + (runA ? "a" : "b");
                if (runA) {
                    long wall = concurrentBare(p, vms, eachA, downA);
                    wallA.add(wall);
                } else {
                    long[] wallCpu = concurrentWorkflow(p, vms, eachB, downB);
                    wallB.add(wallCpu[0]);
                    cpuB.add(wallCpu);
                }
                for (int i = 0; i < CONCURRENT; i++) {
                    cleanDestination(p + i, 1);
                }
            }
        }
        tables.add(() -> concurrentTable(title, wallA, wallB, eachA, eachB, downA, downB, cpuB));
    }

    private void concurrentTable(String title, Samples wallA, Samples wallB, Samples eachA, Samples eachB,
                                 Samples downA, Samples downB, List<long[]> wallAndCpuB) {
        Samples cpuB = new Samples();
        wallAndCpuB.forEach(w -> cpuB.add(netCpuMs(w[1], w[0]) / CONCURRENT));
        line("");
        line("%s (%d rounds, all %d migrated each time; ms: median (min-max))", title, CONCURRENT_ROUNDS, CONCURRENT);
        line("  %-22s %-22s %-22s %s", "", "a bare QMP (threads)", "b workflow", "b/a (medians)");
        line("  %-22s %-22s %-22s %.2f", "wall time, all " + CONCURRENT, wallA.summary(), wallB.summary(),
                wallB.median() / wallA.median());
        line("  %-22s %-22s %-22s %.2f", "per migration total", eachA.summary(), eachB.summary(),
                eachB.median() / eachA.median());
        line("  %-22s %-22s %-22s %.2f", "downtime", downA.summary(), downB.summary(),
                downB.median() / downA.median());
        line("  workflow JVM CPU per migration (idle removed), ms: %s", cpuB.summary());
    }

    private long concurrentBare(String prefix, List<List<Path>> vms, Samples each, Samples downtime) throws Exception {
        // sources launched first, as for the workflow, so the wall time covers the migrations only
        List<DomainDefinition> defs = new ArrayList<>();
        List<QemuInstance> sources = new ArrayList<>();
        for (int i = 0; i < vms.size(); i++) {
            defs.add(definition(prefix + i, vms.get(i)));
            sources.add(launchSource(defs.get(i)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(vms.size());
        try {
            List<Future<Sample>> results = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < vms.size(); i++) {
                DomainDefinition d = defs.get(i);
                QemuInstance source = sources.get(i);
                results.add(pool.submit(() -> migrateBare(d, source)));
            }
            for (Future<Sample> f : results) {
                Sample s = f.get();
                each.add(s.totalMs());
                downtime.add(s.downtimeMs());
            }
            return (System.nanoTime() - t0) / 1_000_000;
        } finally {
            pool.shutdownNow();
        }
    }

    private long[] concurrentWorkflow(String prefix, List<List<Path>> vms, Samples each, Samples downtime)
            throws Exception {
        for (int i = 0; i < vms.size(); i++) {
            defineAndStart(prefix + i, vms.get(i));
        }
        long cpu0 = processCpuNs();
        long observer0 = threadCpuNs();
        long t0 = System.currentTimeMillis();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < vms.size(); i++) {
            ids.add(startMigration(prefix + i));
        }
        long lastEnd = 0;
        for (String pid : ids) {
            HistoricProcessInstance hpi = awaitEnd(pid);
            Map<String, Object> vars = variables(pid);
            assertThat(vars.get(Vars.OUTCOME)).as("%s: %s", pid, vars.get(Vars.FAILURE_REASON))
                    .isEqualTo(Vars.OUTCOME_MIGRATED);
            each.add(hpi.getEndTime().getTime() - hpi.getStartTime().getTime());
            downtime.add((Long) vars.get(Vars.DOWNTIME_MS));
            lastEnd = Math.max(lastEnd, hpi.getEndTime().getTime());
        }
        long wall = lastEnd - t0;
        return new long[] {wall, processCpuNs() - cpu0 - (threadCpuNs() - observer0)};
    }

    // ---- one migration each way

    private Sample runBare(String name, List<Path> files) throws Exception {
        DomainDefinition d = definition(name, files);
        return migrateBare(d, launchSource(d));
    }

    private static DomainDefinition definition(String name, List<Path> files) {
        return new DomainDefinition(name, "host-a", 128, 1, UUID.randomUUID().toString(), disks(files));
    }

    /** Started as a domain is: the launcher, named -drive backends. */
    private QemuInstance launchSource(DomainDefinition d) {
        return launcher.launch(new LaunchRequest(d.vm(), hostA(), machines.forDomain(hostA(), null),
                DiskAttachment.DRIVE, false));
    }

    private Sample migrateBare(DomainDefinition d, QemuInstance source) throws Exception {
        String owner = "bench-" + d.name();
        try {
            int nbdPort = ports.reserve(hostB().address(), owner);
            int migrationPort = ports.reserve(hostB().address(), owner);
            long cpu0 = processCpuNs();
            BareSequence.Result r = bare.migrate(d, source, hostB(), nbdPort, migrationPort);
            long cpu = processCpuNs() - cpu0;
            return new Sample(r.totalMs(), r.steadyStateMs(), r.downtimeMs(), cpu, r.phases().toString());
        } finally {
            ports.release(owner);
            processes.find(hostA(), d.name()).ifPresent(q -> processes.stop(q, Duration.ofSeconds(10)));
        }
    }

    private Sample runWorkflow(String name, List<Path> files) throws Exception {
        defineAndStart(name, files);
        Map<Long, Long> threads0 = threadCpuById();
        long cpu0 = processCpuNs();
        long observer0 = threadCpuNs();
        long t0 = System.currentTimeMillis();
        String id = startMigration(name);
        HistoricProcessInstance hpi = awaitEnd(id);
        // this thread only made the REST call and polled for the end: not the engine's work
        long observer = threadCpuNs() - observer0;
        Map<String, Object> vars = variables(id);
        assertThat(vars.get(Vars.OUTCOME)).as("%s: %s", name, vars.get(Vars.FAILURE_REASON))
                .isEqualTo(Vars.OUTCOME_MIGRATED);
        long total = hpi.getEndTime().getTime() - t0;
        long cpu = processCpuNs() - cpu0 - observer;
        List<HistoricActivityInstance> steps = processEngine.getHistoryService().createHistoricActivityInstanceQuery()
                .processInstanceId(id).orderByHistoricActivityInstanceStartTime().asc().list();
        long steady = steps.stream().filter(s -> s.getActivityId().equals(STEADY_STATE)).findFirst()
                .orElseThrow().getEndTime().getTime() - t0;
        StringBuilder breakdown = new StringBuilder();
        for (HistoricActivityInstance s : steps) {
            if (s.getActivityType().endsWith("Task") || s.getActivityType().equals("multiInstanceBody")) {
                breakdown.append(String.format("%s %d-%d, ", s.getActivityId().replace("Task_", ""),
                        s.getStartTime().getTime() - t0, s.getEndTime() == null ? -1 : s.getEndTime().getTime() - t0));
            }
        }
        breakdown.append("end ").append(total);
        breakdown.append("; CPU ms by thread: ").append(cpuByThreadGroup(threads0, processCpuNs() - cpu0));
        return new Sample(total, steady, (Long) vars.get(Vars.DOWNTIME_MS), cpu, breakdown.toString());
    }

    private void deployWithoutAsyncBefore(List<String> activities) {
        BpmnModelInstance model = Bpmn.readModelFromFile(Path.of("processes/storage-migration.bpmn").toFile());
        for (String id : activities) {
            String element = id.strip().replace("#instances", "");
            FlowNode node = model.getModelElementById(element);
            assertThat(node).as("activity %s in the BPMN", element).isNotNull();
            if (id.endsWith("#instances")) {
                ((Activity) node).getLoopCharacteristics().setAttributeValueNs(
                        "http://camunda.org/schema/1.0/bpmn", "asyncBefore", "false");
            } else {
                node.setCamundaAsyncBefore(false);
            }
        }
        processEngine.getRepositoryService().createDeployment().name("bench: fewer asyncBefore")
                .addModelInstance("storage-migration.bpmn", model).deploy();
        line("process variant: no asyncBefore on %s", activities);
    }

    private void defineAndStart(String name, List<Path> files) {
        domains.define(name, new DefineRequest("host-a", 128, 1, disks(files)));
        domains.start(name);
    }

    /** Exactly the call a user makes: POST /engine-rest/.../process-definition/key/storageMigration/start. */
    private String startMigration(String domain) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("domain", Map.of("value", domain, "type", "String"));
        vars.put("destinationHost", Map.of("value", "host-b", "type", "String"));
        vars.put("bandwidthMiBps", Map.of("value", 0, "type", "Long"));
        vars.put("keepSourceDisks", Map.of("value", true, "type", "Boolean")); // each copy is compared with it
        ResponseEntity<JsonNode> r = api().postForEntity(engineRest() + "/process-definition/key/storageMigration/start",
                Map.of("variables", vars), JsonNode.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(String.valueOf(r.getBody())).isTrue();
        return r.getBody().path("id").asText();
    }

    /** The ended instance; the figures come from the history's own timestamps, not from this poll. */
    private HistoricProcessInstance awaitEnd(String id) throws InterruptedException {
        return Wait.every(Duration.ofMillis(100))
                .explaining(() -> "incidents: " + processEngine.getRuntimeService().createIncidentQuery()
                        .processInstanceId(id).list().stream()
                        .map(i -> i.getActivityId() + ": " + i.getIncidentMessage()).toList())
                .until("migration " + id + " ended", Duration.ofSeconds(300),
                        () -> processEngine.getHistoryService().createHistoricProcessInstanceQuery()
                                .processInstanceId(id).singleResult(),
                        hpi -> hpi != null && hpi.getEndTime() != null);
    }

    // ---- images, clean-up, proof

    /**
     * The case's source images, made once: qemu-img create, then qemu-io writes the pattern. Each
     * run starts a fresh QEMU (new domain name) on them; the guest (SeaBIOS, no boot disk) never
     * writes, and a mirror only reads its source, so every run copies the same data.
     */
    private List<Path> images(String id, List<DiskSpec> specs) {
        List<Path> files = new ArrayList<>();
        for (DiskSpec s : specs) {
            Path file = TestImages.create(hostA().storageDir(), id + "-src-" + s.target() + ".qcow2", "qcow2",
                    s.virtualSize());
            TestImages.write(file, "qcow2", s.pattern(), 0, s.written());
            files.add(file);
        }
        return files;
    }

    private static List<DiskDefinition> disks(List<Path> files) {
        List<DiskDefinition> disks = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            disks.add(new DiskDefinition("vd" + (char) ('a' + i), files.get(i).toString(), "qcow2", false));
        }
        return disks;
    }

    /** Ends the migrated guest on host-b and deletes its disks there, so space stays small. */
    private void cleanDestination(String name, int disks) throws Exception {
        processes.find(hostB(), name).ifPresent(q -> processes.stop(q, Duration.ofSeconds(10)));
        for (int i = 0; i < disks; i++) {
            Files.deleteIfExists(DiskPlan.destinationFile(hostB().storageDir(), name, "vd" + (char) ('a' + i), "qcow2"));
        }
    }

    /** Both drivers really copy: the first run's destination images equal the source (QEMUs stopped first). */
    private void assertCopiesIdentical(List<Path> sources, String... names) throws Exception {
        for (String name : names) {
            processes.find(hostB(), name).ifPresent(q -> processes.stop(q, Duration.ofSeconds(10)));
            for (int i = 0; i < sources.size(); i++) {
                Path copy = DiskPlan.destinationFile(hostB().storageDir(), name, "vd" + (char) ('a' + i), "qcow2");
                assertThat(TestImages.compare(sources.get(i), copy)).as("%s is a whole copy", copy).isTrue();
            }
        }
    }

    // ---- measuring

    private static long processCpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static Map<Long, Long> threadCpuById() {
        var threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            cpu.put(id, threads.getThreadCpuTime(id));
        }
        return cpu;
    }

    /** Java threads grouped by name without numbers; the rest of the process CPU is the JVM's own (JIT, GC). */
    private static String cpuByThreadGroup(Map<Long, Long> before, long processDeltaNs) {
        var threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> groups = new java.util.TreeMap<>();
        long sum = 0;
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long used = threads.getThreadCpuTime(info.getThreadId()) - before.getOrDefault(info.getThreadId(), 0L);
            sum += used;
            String group = info.getThreadName().replaceAll("[0-9]+", "#").replaceAll("qmp-(reader|events)-.*", "qmp-$1");
            groups.merge(group, used, Long::sum);
        }
        groups.put("JVM (JIT, GC, ended threads)", processDeltaNs - sum);
        groups.remove(Thread.currentThread().getName()); // the observer: REST call and polling
        return groups.entrySet().stream().filter(e -> e.getValue() >= 5_000_000)
                .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .map(e -> e.getKey() + " " + e.getValue() / 1_000_000).toList().toString();
    }

    private static long threadCpuNs() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /** CPU the JVM burns doing nothing (job acquisition, watchers, GC), per ms of wall time. */
    private double idleCpuRate() throws InterruptedException {
        Wait.pause("the last migration's clean-up settles", Duration.ofSeconds(1));
        var threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> before = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            before.put(id, threads.getThreadCpuTime(id));
        }
        long cpu0 = processCpuNs();
        long t0 = System.nanoTime();
        Wait.pause("the idle window measured", Duration.ofSeconds(3));
        double rate = (processCpuNs() - cpu0) / ((System.nanoTime() - t0) / 1e6);
        // who burns it: the busiest threads of the idle window
        List<String> busiest = new ArrayList<>();
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null || !before.containsKey(info.getThreadId())) {
                continue;
            }
            long used = threads.getThreadCpuTime(info.getThreadId()) - before.get(info.getThreadId());
            if (used > 30_000_000) {
                busiest.add(String.format("%s %d ms", info.getThreadName(), used / 1_000_000));
            }
        }
        line("idle window 3 s, threads above 30 ms CPU: %s", busiest);
        return rate;
    }

    private static String qemuVersion() {
        String out = ExternalCommand.run(List.of("qemu-system-x86_64", "--version"), Duration.ofSeconds(10)).stdout();
        return out.lines().findFirst().orElse("?").replace("QEMU emulator version ", "QEMU ");
    }

    private void line(String format, Object... args) {
        String text = String.format(format, args);
        report.append(text).append('\n');
        System.out.println("[bench] " + text);
    }
}
