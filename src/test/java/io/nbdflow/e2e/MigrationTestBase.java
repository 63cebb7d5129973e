package io.nbdflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.Host;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.Bpmn;
import io.nbdflow.process.Vars;
import io.nbdflow.store.PortAllocator;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.testsupport.Ports;
import io.nbdflow.testsupport.QemuReaper;
import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.SshTestContext;
import io.nbdflow.testsupport.TestImages;
import io.nbdflow.testsupport.Wait;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.task.Task;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the end-to-end migration tests share: domains on host-a, migrations through the domain
 * API, waits on the engine and on QEMU, the guest's write, the checks of host-b after a
 * migration, and {@link FaultScenario}s: a migration that a fault makes fail, with the invariants
 * after it (the migration ends with a reason, the source runs on host-a, host-b holds nothing of
 * it, and the same migration started again succeeds).
 * <p>
 * The hosts may be this machine's or other machines reached over SSH (a subclass with
 * {@link io.nbdflow.testsupport.SshTestContext}): paths handed to nbdflow are paths on the host,
 * and the test looks at a host's files only through {@link #seen}. QEMUs of either kind share
 * this machine's process ids, so a pid read from a pid file is checked and signalled here.
 */
abstract class MigrationTestBase extends SpringQemuTest {
    protected static final long MiB = TestImages.MiB;
    /** The guest's write during the migration: inside the written area, so no qcow2 metadata changes. */
    protected static final int GUEST_PATTERN = 0x5c;
    protected static final long GUEST_OFFSET = 0;

    @Autowired
    protected PortAllocator portAllocator;

    // ---- domains and migrations

    /** Defines and starts a one-disk domain (128 MiB RAM) on host-a; its vda has `written` bytes of 0x11. */
    protected Path startDomain(String name, long size, long written) {
        return startDomain(name, 128, Map.of("vda", size), written);
    }

    /** Defines and starts a domain on host-a (see {@link #defineDomain}); returns its first disk. */
    protected Path startDomain(String name, int memoryMiB, Map<String, Long> sizes, long written) {
        Path first = defineDomain(name, memoryMiB, sizes, written);
        assertThat(api().postForEntity("/api/domains/" + name + "/start", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
        return first;
    }

    /**
     * Defines a domain on host-a with qcow2 disks of those sizes (target → bytes, in order), each
     * with `written` bytes of 0x11, named &lt;name&gt;-src-&lt;target&gt;.qcow2 in host-a's storage
     * folder; returns the first disk (its path on host-a).
     */
    protected Path defineDomain(String name, int memoryMiB, Map<String, Long> sizes, long written) {
        Map<String, Path> disks = new LinkedHashMap<>();
        for (Map.Entry<String, Long> d : sizes.entrySet()) {
            Path file = hostA().storageDir().resolve(name + "-src-" + d.getKey() + ".qcow2");
            disks.put(d.getKey(), image(hostA(), file, d.getValue(), written));
        }
        defineDomainWithDisks(name, memoryMiB, disks);
        return disks.values().iterator().next();
    }

    /** Defines a domain on host-a with those qcow2 disks (target → path on host-a, in order). */
    protected void defineDomainWithDisks(String name, int memoryMiB, Map<String, Path> disks) {
        List<Map<String, Object>> list = new ArrayList<>();
        disks.forEach((target, file) -> list.add(Map.of("target", target, "file", file.toString(), "format", "qcow2")));
        ResponseEntity<String> r = api().exchange("/api/domains/" + name, HttpMethod.PUT,
                new HttpEntity<>(Map.of("host", "host-a", "memoryMiB", memoryMiB, "vcpus", 1, "disks", list)),
                String.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(r.getBody()).isTrue();
    }

    /** Creates a qcow2 image of that size at that path of the host, its first `written` bytes 0x11; returns it. */
    protected Path image(Host host, Path file, long size, long written) {
        TestImages.create(seen(host, file.getParent()), file.getFileName().toString(), "qcow2", size);
        TestImages.write(seen(host, file), "qcow2", 0x11, 0, written);
        return file;
    }

    /**
     * A fault scenario on a one-disk domain (128 MiB RAM) started now on host-a; {@code request}
     * is the body of the migration that must succeed once the fault is gone.
     */
    protected FaultScenario scenario(String name, long size, long written, Map<String, Object> request) {
        return new FaultScenario(this, name, startDomain(name, size, written), request);
    }

    /** A fault scenario on a domain with those disks (see {@link #defineDomain}) started now on host-a. */
    protected FaultScenario scenario(String name, int memoryMiB, Map<String, Long> sizes, long written,
                                     Map<String, Object> request) {
        return new FaultScenario(this, name, startDomain(name, memoryMiB, sizes, written), request);
    }

    /** Stops the domain through the API (200 expected). */
    protected void stop(String name) {
        assertThat(api().postForEntity("/api/domains/" + name + "/stop", null, String.class).getStatusCode())
                .isEqualTo(HttpStatus.OK);
    }

    /**
     * Starts a migration through POST /api/domains/{name}/migrate; returns its process instance id.
     * The checks after a migration compare the copy with the source's image, so the source host
     * keeps it ({@code keepSourceDisks=true}) unless the body says otherwise.
     */
    protected String migrate(String name, Map<String, Object> body) {
        ResponseEntity<JsonNode> r = api().postForEntity("/api/domains/" + name + "/migrate", keepingSource(body),
                JsonNode.class);
        assertThat(r.getStatusCode().is2xxSuccessful()).as(String.valueOf(r.getBody())).isTrue();
        return r.getBody().path("processInstanceId").asText();
    }

    /** The body with {@code keepSourceDisks=true} unless it gives the field. */
    static Map<String, Object> keepingSource(Map<String, Object> body) {
        Map<String, Object> withKeep = new java.util.HashMap<>(body);
        withKeep.putIfAbsent(Vars.KEEP_SOURCE_DISKS, true);
        return withKeep;
    }

    /** The body of {@code POST /engine-rest/task/{id}/complete} for the approval task: the form's decision. */
    static Map<String, Object> switchoverDecision(boolean approved) {
        return Map.of("variables", Map.of(Vars.SWITCHOVER_APPROVED, Map.of("value", approved, "type", "Boolean")));
    }

    /** Approves the switchover: completes the migration's one open user task as its form does. */
    protected void approve(String id) {
        Task task = processEngine.getTaskService().createTaskQuery().processInstanceId(id).singleResult();
        assertThat(task).as("approval task").isNotNull();
        processEngine.getTaskService().complete(task.getId(), Map.of(Vars.SWITCHOVER_APPROVED, true));
    }

    /** The file names in host-b's storage folder (created if missing). */
    protected Set<String> destinationStorage() throws IOException {
        Path storage = Files.createDirectories(seen(hostB(), hostB().storageDir()));
        try (Stream<Path> files = Files.list(storage)) {
            return files.map(p -> p.getFileName().toString()).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }

    // ---- waits

    /** Waits until an execution of the instance stands at that activity (e.g. a user task). */
    protected void awaitActivity(String id, String activityId, Duration timeout) throws InterruptedException {
        Wait.explaining(() -> "variables " + variables(id)).until("reached " + activityId, timeout,
                () -> processEngine.getRuntimeService().createExecutionQuery().processInstanceId(id)
                        .activityId(activityId).count() > 0);
    }

    /** Overrides the computed convergence timeout before the wait for steady state starts its timer. */
    protected void shortenConvergenceTimeout(String id, String timeout) throws InterruptedException {
        RuntimeService runtime = processEngine.getRuntimeService();
        Wait.every(Duration.ofMillis(5)).until(Vars.CONVERGENCE_TIMEOUT + " computed", Duration.ofSeconds(60), () -> {
            assertThat(runtime.createExecutionQuery().processInstanceId(id).activityId(Bpmn.WAIT_STEADY_STATE)
                    .count()).as("timeout set before the wait began").isZero();
            try {
                if (runtime.getVariable(id, Vars.CONVERGENCE_TIMEOUT) != null) {
                    runtime.setVariable(id, Vars.CONVERGENCE_TIMEOUT, timeout);
                    return true;
                }
            } catch (OptimisticLockingException e) {
                // a step committed meanwhile: try again
            }
            return false;
        });
    }

    /** Waits (60 s at most) until the source has at least `count` mirror jobs. */
    protected static void awaitMirrorJobs(QmpClient qmp, int count) throws Exception {
        Wait.until("mirror jobs started in time", Duration.ofSeconds(60), () -> SourceSide.mirrorJobs(qmp),
                jobs -> jobs.size() >= count);
    }

    /** Waits (30 s at most) until the source has no block job at all. */
    protected static void awaitNoBlockJobs(QmpClient qmp) throws Exception {
        Wait.until("block jobs gone", Duration.ofSeconds(30), () -> SourceSide.blockJobs(qmp), List::isEmpty);
    }

    // ---- QEMU and files

    /** The operators' monitor (qmp-tools.sock) of the domain's QEMU on host-a. */
    protected QmpClient tools(String name) throws Exception {
        return QmpClient.connect(seen(hostA(), hostA().domainDir(name).resolve("qmp-tools.sock")),
                Duration.ofSeconds(10));
    }

    /** The pid file of the domain's QEMU on that host, as this test sees it. */
    protected Path pidFile(Host host, String name) {
        return seen(host, host.domainDir(name).resolve(QemuInstance.PID_FILE));
    }

    /**
     * The guest's write that {@link FaultScenario#assertSameMigrationSucceeds} looks for: GUEST_PATTERN,
     * 1 MiB at GUEST_OFFSET of vda.
     */
    protected static void guestWrite(QmpClient qmp) throws Exception {
        guestWrite(qmp, "virtio-disk0",
                "write -P " + String.format("0x%02x", GUEST_PATTERN) + " " + GUEST_OFFSET + " " + MiB);
    }

    /** A write as the guest makes it: HMP qemu-io on that virtio device (empty answer = success). */
    protected static void guestWrite(QmpClient qmp, String device, String command) throws Exception {
        String out = qmp.execute("human-monitor-command", Map.of("command-line",
                "qemu-io -d /machine/peripheral/" + device + "/virtio-backend \"" + command + "\"")).asText();
        assertThat(out).as("qemu-io via HMP").isEmpty();
    }

    /**
     * SIGKILL to the QEMU of that pid file (as this test sees it, see {@link #pidFile}), and wait
     * (10 s at most) until it is gone.
     */
    protected static void kill(Path pidFile) throws InterruptedException {
        OptionalLong pid = QemuProcesses.readPid(pidFile);
        assertThat(pid).as("pid in " + pidFile).isPresent();
        ProcessHandle.of(pid.getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
        // gone, its files closed: only then are its image locks released
        Wait.until("QEMU " + pid.getAsLong() + " gone", Duration.ofSeconds(10),
                () -> !QemuProcesses.isLiveQemu(pid.getAsLong()) && QemuReaper.exited(pid.getAsLong()));
    }

    /** The file's SHA-256, in hex. */
    protected static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /**
     * The TCP listeners on address in the migration port range, as "port pid command line", from
     * ss. Other test runs on this machine use the same range: only those whose command line names
     * {@code below} are ours (null: all).
     */
    static List<String> listeners(String address, Path below) throws Exception {
        Process ss = new ProcessBuilder(List.of("ss", "-Htlnp")).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes());
        assertThat(ss.waitFor()).as("ss: " + out).isZero();
        Pattern line = Pattern.compile(Pattern.quote(address) + ":(\\d+)\\s.*?pid=(\\d+)");
        List<String> found = new ArrayList<>();
        for (String l : out.split("\n")) {
            Matcher m = line.matcher(l);
            if (m.find() && Integer.parseInt(m.group(1)) >= 49152 && Integer.parseInt(m.group(1)) <= 49215) {
                String args = ProcessHandle.of(Long.parseLong(m.group(2))).flatMap(h -> h.info().arguments())
                        .map(a -> String.join(" ", a)).orElse("?");
                if (below == null || args.contains(below.toString())) {
                    found.add(m.group(1) + " " + m.group(2) + " " + args);
                }
            }
        }
        return found;
    }

    // ---- host-b and the engine after a migration (the pieces of a FaultScenario's checks)

    /** Cockpit shows every variable of the instance as it is: plain values and JSON text, never serialized Java. */
    protected void assertVariablesPlain(String id) {
        assertThat(processEngine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(id)
                .disableBinaryFetching().list())
                .as("variables of the migration").isNotEmpty()
                .allSatisfy(v -> assertThat(v.getTypeName()).as(v.getName())
                        .isIn("string", "long", "integer", "boolean", "double", "null"));
    }

    /**
     * host-b as before the migration: its storage holds the same files, the domain's folder is
     * gone, no process (the destination QEMU or another) names that folder, and no port is open
     * (see {@link #assertHostBPortsClosed}).
     */
    protected void assertDestinationClean(String name, Map<String, Object> vars, Set<String> destinationBefore)
            throws Exception {
        assertThat(destinationStorage()).as("host-b storage as before").isEqualTo(destinationBefore);
        Path dir = hostB().domainDir(name);
        assertThat(seen(hostB(), dir)).as("destination folder").doesNotExist();
        if (vars.get(Vars.DESTINATION_PID) instanceof Number pid) {
            assertThat(QemuProcesses.isLiveQemu(pid.longValue())).as("destination QEMU alive").isFalse();
        }
        assertThat(ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(dir.toString()))
                        .orElse(false))
                .map(ProcessHandle::pid).toList()).as("processes using " + dir).isEmpty();
        assertHostBPortsClosed(vars);
    }

    /** Nothing listens on host-b's address in the configured port range. */
    protected void assertHostBPortsClosed(Map<String, Object> vars) throws Exception {
        assertThat(Ports.listeningInRange(hostB(), hosts.ports())).as("ports listening on host-b").isEmpty();
    }

    /**
     * A refusal touched nothing on host-b: its storage as before, no folder of the domain, no
     * destination QEMU started, no port kept ({@code label} names the case in failures).
     */
    protected void assertNothingOnHostB(String name, Map<String, Object> vars, Set<String> before, String label)
            throws IOException {
        assertThat(destinationStorage()).as(label + ": host-b storage as before").isEqualTo(before);
        assertThat(seen(hostB(), hostB().domainDir(name))).as(label + ": destination folder").doesNotExist();
        assertThat(vars).as(label + ": no destination QEMU started").doesNotContainKey(Vars.DESTINATION_PID);
        assertThat(vars).as(label + ": no ports kept").doesNotContainKeys(Vars.NBD_PORT);
    }

    /** The migration's port reservations are given back once it has ended, whatever its outcome. */
    protected void assertNoPortReserved(String id) {
        assertThat(portAllocator.heldBy(id)).as("ports still reserved by migration %s", id).isEmpty();
    }

    /** For failure messages only: every listener in the range on host-b's address, or why not. */
    String listenersOnHostB() {
        try {
            if (hostB().isRemote()) {
                // its listeners live in its own network: ss run there sees them
                return SshTestContext.testHost(hostB().address()).exec("ss", "-Htlnp").out();
            }
            return listeners(hostB().address().getHostAddress(), null).toString();
        } catch (Exception | AssertionError e) {
            return "(ss failed: " + e + ")";
        }
    }
}
