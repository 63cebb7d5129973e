package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.host.DiskNames;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpCommandException;
import io.nbdflow.qmp.QmpException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The QMP steps on the source QEMU (libvirt's Begin and Perform phases, and the failure path), free of any
 * engine: the BPMN delegates and the bare benchmark driver both call these.
 */
public final class SourceSide {

    /** QEMU's default max-bandwidth throttles migration at 128 MiB/s; "no limit" means lifting it. */
    static final long UNLIMITED_BYTES_PER_SECOND = 1L << 40;

    private SourceSide() {
    }

    public static Set<String> commands(QmpClient qmp) throws QmpException {
        Set<String> names = new TreeSet<>();
        for (JsonNode c : qmp.execute("query-commands")) {
            names.add(c.path("name").asText());
        }
        return names;
    }

    public static String status(QmpClient qmp) throws QmpException {
        return qmp.execute("query-status").path("status").asText();
    }

    /**
     * The machine type the QEMU runs, e.g. {@code pc-i440fx-7.2}: QOM names the machine object's type
     * {@code <type>-machine}. Read from the running QEMU, not from records, because that is what the
     * migration stream carries.
     */
    public static String machineType(QmpClient qmp) throws QmpException {
        String qomType = qmp.execute("qom-get", Map.of("path", "/machine", "property", "type")).asText();
        String suffix = "-machine";
        if (!qomType.endsWith(suffix) || qomType.length() == suffix.length()) {
            throw new MigrationStepException("unexpected machine object type '" + qomType + "'");
        }
        return qomType.substring(0, qomType.length() - suffix.length());
    }

    /** The accelerator the QEMU runs with: KVM if {@code query-kvm} says it is enabled, else TCG. */
    public static io.nbdflow.host.Accelerator accelerator(QmpClient qmp) throws QmpException {
        return qmp.execute("query-kvm").path("enabled").asBoolean(false)
                ? io.nbdflow.host.Accelerator.KVM : io.nbdflow.host.Accelerator.TCG;
    }

    /** Names of the {@code -drive} block backends (empty for disks attached as bare -blockdev nodes). */
    public static Set<String> driveBackendNames(QmpClient qmp) throws QmpException {
        Set<String> names = new TreeSet<>();
        for (JsonNode b : qmp.execute("query-block")) {
            if (!b.path("device").asText().isEmpty()) {
                names.add(b.path("device").asText());
            }
        }
        return names;
    }

    public static List<BlockJob> blockJobs(QmpClient qmp) throws QmpException {
        List<BlockJob> jobs = new ArrayList<>();
        for (JsonNode j : qmp.execute("query-block-jobs")) {
            jobs.add(BlockJob.from(j));
        }
        return jobs;
    }

    public static List<BlockJob> mirrorJobs(QmpClient qmp) throws QmpException {
        return blockJobs(qmp).stream().filter(j -> MirrorJobs.isOurs(j.id())).toList();
    }

    /**
     * Mirrors one disk into the destination's NBD export of the same name: the export is attached
     * as a node of our own name ({@code blockdev-add}, see {@link MirrorJobs#targetNode}), then
     * {@code blockdev-mirror}. The name is what lets a rollback yank that connection even when
     * QEMU's main loop hangs on it (no query needed). The device is the named {@code -drive}
     * backend, or the node of a domain that arrived over NBD.
     */
    public static void startMirror(QmpClient qmp, MirrorOptions mirror) throws QmpException {
        startMirror(qmp, mirror, null);
    }

    /** {@link #startMirror(QmpClient, MirrorOptions)}, the NBD connection over TLS unless {@code tls} is null. */
    public static void startMirror(QmpClient qmp, MirrorOptions mirror, TlsPeer tls) throws QmpException {
        String target = mirror.target();
        if (mirrorJobs(qmp).stream().anyMatch(j -> j.id().equals(MirrorJobs.jobId(target)))) {
            return; // already started (a retried step): one mirror per disk
        }
        String node = MirrorJobs.targetNode(target);
        deleteNodeIfPresent(qmp, node); // an attempt that added it but never started the job
        // discard=unmap lets the mirror zero the fresh copy at once with write-zeroes that may unmap,
        // then copy only the data (the zeroing is not counted against the speed limit); detect-zeroes
        // sends zeroes the guest wrote as data the same way. The destination's disk, opened with
        // discard=unmap, stores both as holes.
        Map<String, Object> nbd = new LinkedHashMap<>(Map.of("driver", "nbd", "node-name", node, "export", target,
                "server", Map.of("type", "inet", "host", mirror.nbdHost(),
                        "port", Integer.toString(mirror.nbdPort())),
                "discard", "unmap", "detect-zeroes", "unmap"));
        if (tls != null) {
            nbd.put("tls-creds", tls.credsId());
            nbd.put("tls-hostname", tls.hostname());
        }
        try {
            qmp.execute("blockdev-add", nbd);
        } catch (QmpCommandException e) {
            if (tls == null) {
                throw e;
            }
            // QEMU's text alone ("The certificate hasn't got a known issuer") does not say which connection
            throw new QmpCommandException(e.command(), e.errorClass(), "NBD over TLS to " + mirror.nbdHost() + ":"
                    + mirror.nbdPort() + " (certificate checked for " + tls.hostname() + "): " + e.desc());
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("job-id", MirrorJobs.jobId(target));
        args.put("device", DiskNames.nodeName(target));
        args.put("target", node);
        args.put("sync", mirror.sync());
        // a failed job stays listed with its error until we dismiss it, so no check can miss why it failed
        args.put("auto-dismiss", false);
        if (mirror.speedBytesPerSecond() > 0) {
            args.put("speed", mirror.speedBytesPerSecond());
            args.put("buf-size", mirrorBufferUnderLimit(mirror.speedBytesPerSecond()));
        }
        if (mirror.copyMode() == MirrorCopyMode.WRITE_BLOCKING) {
            args.put("copy-mode", mirror.copyMode().value()); // absent: QEMU's default, background
        }
        try {
            qmp.execute("blockdev-mirror", args);
        } catch (QmpCommandException e) {
            deleteNodeIfPresent(qmp, node);
            throw e;
        }
    }

    /**
     * A limited mirror's buffer (what it has in flight at once): a quarter second at the limit,
     * between 1 MiB and QEMU's own 16 MiB. A rate-limited mirror copies a buffer's worth and then
     * sleeps until the limit allows the next, so with QEMU's 16 MiB its progress would move in
     * leaps seconds apart (3 s at 5 MiB/s) and no rate or time left could be read from it; a
     * quarter second's worth keeps the link as busy for round trips up to that long.
     */
    static long mirrorBufferUnderLimit(long bytesPerSecond) {
        long mib = 1L << 20;
        return Math.max(mib, Math.min(16 * mib, bytesPerSecond / 4 / mib * mib));
    }

    /** Detaches our NBD target node of that disk (closing its connection); absent counts as done. */
    static void deleteNodeIfPresent(QmpClient qmp, String node) throws QmpException {
        for (JsonNode n : qmp.execute("query-named-block-nodes")) {
            if (n.path("node-name").asText().equals(node)) {
                qmp.execute("blockdev-del", Map.of("node-name", node));
                return;
            }
        }
    }

    /**
     * Cancels our mirror jobs (all of them, or those named) and waits until QEMU has dropped them.
     * A cancelled mirror in the ready state completes cleanly: the target is a consistent copy.
     * Jobs already gone count as done.
     */
    public static void cancelMirrors(QmpClient qmp, Collection<String> targets, Duration timeout)
            throws QmpException, InterruptedException {
        Set<String> wanted = new TreeSet<>();
        for (BlockJob job : mirrorJobs(qmp)) {
            if (targets == null || targets.contains(MirrorJobs.target(job.id()))) {
                wanted.add(job.id());
                if (job.status().equals("concluded")) {
                    continue; // finished (or failed) already: only dismissed below
                }
                try {
                    qmp.execute("block-job-cancel", Map.of("device", job.id(), "force", true));
                } catch (QmpCommandException e) {
                    // it may have ended between the query and the cancel; what is left is checked below
                }
            }
        }
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        boolean yanked = false;
        while (true) {
            Set<String> left = new TreeSet<>();
            for (BlockJob job : blockJobs(qmp)) {
                if (wanted.contains(job.id())) {
                    left.add(job.id());
                    // a job that hit an error waits in "concluded" only when auto-dismiss is off;
                    // dismiss it so it goes away
                    if (job.status().equals("concluded")) {
                        tryDismiss(qmp, job.id());
                    }
                }
            }
            if (left.isEmpty()) {
                for (String id : wanted) {
                    deleteNodeIfPresent(qmp, MirrorJobs.targetNode(MirrorJobs.target(id)));
                }
                return;
            }
            if (!yanked && System.nanoTime() - start > DEAD_CONNECTION_GRACE.toNanos()) {
                yankMirrorTargets(qmp, left);
                yanked = true;
            }
            if (System.nanoTime() > deadline) {
                throw new MigrationStepException("block jobs still present after cancel: " + left);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Ready-state cancel for switchover: not forced, so each mirror completes with a consistent
     * target. Each job must then conclude without error before it is dismissed; the byte count of
     * all mirrors is returned.
     */
    public static long completeMirrors(QmpClient qmp, Duration timeout) throws QmpException, InterruptedException {
        long copied = 0;
        List<BlockJob> jobs = mirrorJobs(qmp);
        for (BlockJob job : jobs) {
            if (!job.ready()) {
                throw new MigrationStepException("mirror " + job.id() + " is not in sync (status "
                        + job.status() + "); refusing to switch over");
            }
            copied += job.offset();
        }
        for (BlockJob job : jobs) {
            qmp.execute("block-job-cancel", Map.of("device", job.id()));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<BlockJob> left = mirrorJobs(qmp);
            for (BlockJob job : left) {
                if (job.status().equals("concluded")) {
                    if (job.error() != null) {
                        throw new MigrationStepException("mirror " + job.id() + " failed while completing: "
                                + job.error());
                    }
                    qmp.execute("job-dismiss", Map.of("id", job.id()));
                    deleteNodeIfPresent(qmp, MirrorJobs.targetNode(MirrorJobs.target(job.id())));
                }
            }
            if (left.isEmpty()) {
                return copied;
            }
            if (System.nanoTime() > deadline) {
                throw new MigrationStepException("mirror jobs did not finish within " + timeout);
            }
            Thread.sleep(5);
        }
    }

    /**
     * A cancelled job whose requests have not come back by then waits on a connection whose peer
     * vanished without closing it (link down, host gone): TCP gives up only after many minutes.
     */
    static final Duration DEAD_CONNECTION_GRACE = Duration.ofSeconds(5);

    /**
     * Shuts down the NBD connections of those mirrors (QMP yank), so that their in-flight requests
     * fail at once and the cancel completes. Seen on QEMU 7.2: a mirror into a cut link stays
     * "running" after a forced cancel until its target node is yanked, then concludes with EIO.
     */
    private static void yankMirrorTargets(QmpClient qmp, Set<String> jobIds) throws QmpException {
        for (String id : jobIds) {
            yank(qmp, Map.of("type", "block-node", "node-name", MirrorJobs.targetNode(MirrorJobs.target(id))));
        }
    }

    /**
     * For a source whose monitor no longer answers: with a mirror request hanging on a dead link, a
     * failing migration drains the disks in QEMU's main loop and waits for it (seen on QEMU 7.2).
     * Yanks, out of band, the migration's connection and the NBD connections of those disks'
     * mirrors: the hanging requests fail and QEMU answers again.
     */
    public static void unblock(QmpClient qmp, Collection<String> targets) throws QmpException {
        List<Map<String, Object>> instances = new ArrayList<>();
        instances.add(Map.of("type", "migration"));
        targets.forEach(t -> instances.add(Map.of("type", "block-node", "node-name", MirrorJobs.targetNode(t))));
        for (Map<String, Object> instance : instances) {
            yank(qmp, instance); // one by one: a yank naming an instance that is gone fails as a whole
        }
    }

    private static void yank(QmpClient qmp, Map<String, Object> instance) throws QmpException {
        try {
            qmp.executeOutOfBand("yank", Map.of("instances", List.of(instance)), Duration.ofSeconds(10));
        } catch (QmpCommandException e) {
            // ended meanwhile, or nothing to yank: the wait that follows tells
        }
    }

    private static void tryDismiss(QmpClient qmp, String id) {
        try {
            qmp.execute("job-dismiss", Map.of("id", id));
        } catch (QmpException ignored) {
            // already gone
        }
    }

    /** Starts the RAM migration, pausing before switchover so the mirrors can be completed first. */
    public static void startMigration(QmpClient qmp, String uri, long bandwidthBytesPerSecond,
                                      RamConvergence convergence) throws QmpException {
        startMigration(qmp, uri, bandwidthBytesPerSecond, convergence, null);
    }

    /** {@link #startMigration(QmpClient, String, long, RamConvergence)}, over TLS unless {@code tls} is null. */
    public static void startMigration(QmpClient qmp, String uri, long bandwidthBytesPerSecond,
                                      RamConvergence convergence, TlsPeer tls) throws QmpException {
        if (migrating(qmp)) {
            return;
        }
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                Map.of("capability", "pause-before-switchover", "state", true),
                Map.of("capability", "events", "state", true),
                Map.of("capability", "auto-converge", "state", convergence.autoConverge()))));
        qmp.execute("migrate-set-parameters", Map.of("max-bandwidth",
                bandwidthBytesPerSecond > 0 ? bandwidthBytesPerSecond : UNLIMITED_BYTES_PER_SECOND,
                "downtime-limit", convergence.downtimeLimitMs()));
        setMigrationTls(qmp, tls);
        qmp.execute("migrate", Map.of("uri", uri));
    }

    /** The legacy path: QEMU copies the disks itself ({@code blk}, or {@code inc} for the top layer). */
    public static void startLegacyMigration(QmpClient qmp, String uri, boolean incremental,
                                            long bandwidthBytesPerSecond, RamConvergence convergence)
            throws QmpException {
        startLegacyMigration(qmp, uri, incremental, bandwidthBytesPerSecond, convergence, null);
    }

    /**
     * {@link #startLegacyMigration(QmpClient, String, boolean, long, RamConvergence)}, over TLS unless
     * {@code tls} is null: the disks travel in the migration stream, so its encryption covers them too.
     */
    public static void startLegacyMigration(QmpClient qmp, String uri, boolean incremental,
                                            long bandwidthBytesPerSecond, RamConvergence convergence,
                                            TlsPeer tls) throws QmpException {
        if (migrating(qmp)) {
            return;
        }
        // zero-blocks: a block of zeroes travels as a flag, not as 1 MiB of data (the destination
        // writes it as zeroes that may unmap, as it does with data that is all zeroes)
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                Map.of("capability", "events", "state", true),
                Map.of("capability", "auto-converge", "state", convergence.autoConverge()),
                Map.of("capability", "zero-blocks", "state", true))));
        qmp.execute("migrate-set-parameters", Map.of("max-bandwidth",
                bandwidthBytesPerSecond > 0 ? bandwidthBytesPerSecond : UNLIMITED_BYTES_PER_SECOND,
                "downtime-limit", convergence.downtimeLimitMs()));
        setMigrationTls(qmp, tls);
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("uri", uri);
        args.put(incremental ? "inc" : "blk", true);
        qmp.execute("migrate", args);
    }

    /**
     * The migration's TLS, always set: QEMU keeps migration parameters, so a source that once
     * migrated over TLS would otherwise try it again towards a host without it (and the reverse).
     * The empty string turns it off.
     */
    private static void setMigrationTls(QmpClient qmp, TlsPeer tls) throws QmpException {
        qmp.execute("migrate-set-parameters", Map.of("tls-creds", tls == null ? "" : tls.credsId(),
                "tls-hostname", tls == null ? "" : tls.hostname()));
    }

    /**
     * Whether QEMU is already migrating: a step redone after a crash lost its commit finds its own
     * migration running (the domain is claimed by one migration at a time), and leaves it be.
     */
    private static boolean migrating(QmpClient qmp) throws QmpException {
        return Set.of("setup", "active", "pre-switchover", "device", "wait-unplug")
                .contains(queryMigrate(qmp).status());
    }

    public static MigrationStatus queryMigrate(QmpClient qmp) throws QmpException {
        return MigrationStatus.from(qmp.execute("query-migrate"));
    }

    /** Lets a migration paused at {@code pre-switchover} finish, and waits for its end. */
    public static MigrationStatus continueMigration(QmpClient qmp, Duration timeout)
            throws QmpException, InterruptedException {
        qmp.execute("migrate-continue", Map.of("state", "pre-switchover"));
        return awaitMigrationEnd(qmp, timeout);
    }

    /** How long a completed migration's figures are waited for (they follow within milliseconds). */
    private static final Duration FIGURES_WAIT = Duration.ofSeconds(2);

    public static MigrationStatus awaitMigrationEnd(QmpClient qmp, Duration timeout)
            throws QmpException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long figuresDeadline = 0;
        while (true) {
            MigrationStatus s = queryMigrate(qmp);
            if (!s.isActive()) {
                // QEMU 7.2 may answer "completed" before it fills in downtime and total-time: ask
                // again for a short while, so that the figures recorded are QEMU's, not zeros
                if (!s.status().equals("completed") || s.totalTimeMs() > 0) {
                    return s;
                }
                figuresDeadline = figuresDeadline == 0 ? System.nanoTime() + FIGURES_WAIT.toNanos() : figuresDeadline;
                if (System.nanoTime() > figuresDeadline) {
                    return s;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new MigrationStepException("migration still '" + s.status() + "' after " + timeout);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Cancels an active migration, waits until QEMU says it is over, and makes sure the guest runs
     * again: {@code pause-before-switchover} leaves the source paused.
     */
    public static void cancelMigration(QmpClient qmp, Duration timeout) throws QmpException, InterruptedException {
        MigrationStatus s = queryMigrate(qmp);
        if (s.isActive()) {
            // also releases a migration held at pre-switchover (seen on QEMU 7.2: it ends
            // "cancelled" and the source runs again); never migrate-continue here
            qmp.execute("migrate_cancel");
            try {
                awaitMigrationEnd(qmp, DEAD_CONNECTION_GRACE);
            } catch (MigrationStepException stillActive) {
                yank(qmp, Map.of("type", "migration"));
                awaitMigrationEnd(qmp, timeout);
            }
        }
        resumeIfPaused(qmp);
    }

    /**
     * Lets a paused source guest run again, unless its migration completed: then the destination
     * owns the disks and a second running copy of the guest would corrupt them.
     */
    public static void resumeIfPaused(QmpClient qmp) throws QmpException {
        if (queryMigrate(qmp).status().equals("completed")) {
            throw new MigrationStepException("the migration already completed: the guest runs on the destination; "
                    + "refusing to resume the source");
        }
        String status = status(qmp);
        if (status.equals("paused") || status.equals("postmigrate") || status.equals("finish-migrate")) {
            qmp.execute("cont");
        }
    }
}
