package io.nbdflow.process.undo;

import io.nbdflow.host.Host;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.MigrationStepException;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.process.CreatedFilesJournal;
import io.nbdflow.process.MigrationResources;
import io.nbdflow.process.QemuGoneException;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpClosedException;
import io.nbdflow.qmp.QmpException;
import io.nbdflow.qmp.QmpTimeoutException;
import io.nbdflow.store.MigrationRecords;
import io.nbdflow.store.MigrationRecords.Facts;
import io.nbdflow.store.MigrationRecords.Kind;
import io.nbdflow.store.MigrationRecords.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The undo of a migration, from nbdflow's own records ({@link MigrationRecords}) and nothing else:
 * the undo handlers of the process, the clean-up of a deleted instance and the reconciler all come
 * here. Each part forgets a record only once its thing is gone, so a part that fails leaves the
 * record for the next attempt. A destination host that does not answer keeps its records (and
 * the ports its QEMU may listen on) for the reconciler; the source's part is never skipped for a
 * host that does not answer, since its QEMU may well run on. Every path is confined to the host's
 * folders, every process must be the domain's QEMU launched by nbdflow
 * ({@link io.nbdflow.host.QemuProcesses#isOwnQemu}).
 */
@Component
public class RecordedUndo {
    private static final Logger log = LoggerFactory.getLogger(RecordedUndo.class);
    private static final Duration MONITOR_PROBE = Duration.ofSeconds(3);
    private static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(30);

    private final MigrationResources resources;

    public RecordedUndo(MigrationResources resources) {
        this.resources = resources;
    }

    public Optional<Facts> facts(String migrationId) {
        return resources.records().facts(migrationId);
    }

    /**
     * No mirror or migration of ours on the source, and the guest runs. Returns what could not be
     * done (QEMU's errors); a source QEMU that is gone counts as done.
     */
    public List<String> cancelSourceJobs(String migrationId) throws Exception {
        List<String> problems = new ArrayList<>();
        Optional<Facts> facts = facts(migrationId);
        if (facts.isEmpty()) {
            return problems; // refused before anything ran on a host
        }
        Optional<QemuInstance> source = resources.source(facts.get());
        if (source.isEmpty()) {
            return problems; // the source died: its jobs died with it
        }
        try {
            QmpClient qmp = resources.monitors().get(source.get());
            try {
                qmp.execute("query-status", null, MONITOR_PROBE);
            } catch (QmpTimeoutException hanging) {
                // QEMU's main loop waits on a dead connection: free it before asking anything else
                SourceSide.unblock(qmp, facts.get().targets());
            }
            // each part on its own: one that fails must not keep the undo of the destination from running
            attempt(problems, "cancel migration", () -> SourceSide.cancelMigration(qmp, CANCEL_TIMEOUT));
            attempt(problems, "cancel mirrors", () -> SourceSide.cancelMirrors(qmp, null, CANCEL_TIMEOUT));
            attempt(problems, "resume source", () -> SourceSide.resumeIfPaused(qmp));
        } catch (QemuGoneException gone) {
            // the source died meanwhile: nothing of ours runs there any more
        } catch (QmpClosedException closed) {
            if (sourceStillRuns(migrationId)) {
                throw closed; // only the monitor connection dropped: the caller tries again
            }
        }
        return problems;
    }

    /**
     * Whether the recorded source QEMU still runs, asked after its monitor closed. On this
     * machine a closed monitor means QEMU exited; over SSH the host is asked (HostUnreachableException
     * if it does not answer: then nobody knows).
     */
    public boolean sourceStillRuns(String migrationId) {
        Optional<Facts> facts = facts(migrationId);
        if (facts.isEmpty() || !resources.hosts().get(facts.get().sourceHost()).isRemote()) {
            return false;
        }
        return resources.source(facts.get()).isPresent();
    }

    /** {@link #sourceStillRuns} for the recorded destination QEMU. */
    public boolean destinationStillRuns(String migrationId) {
        Optional<Facts> facts = facts(migrationId);
        if (facts.isEmpty() || !resources.hosts().get(facts.get().destinationHost()).isRemote()) {
            return false;
        }
        return resources.destination(facts.get()).isPresent();
    }

    /** Cancels the mirror jobs of the recorded migration on its source. */
    public void cancelMirrors(String migrationId) throws Exception {
        Optional<Facts> facts = facts(migrationId);
        Optional<QemuInstance> source = facts.flatMap(resources::source);
        if (source.isPresent()) {
            SourceSide.cancelMirrors(resources.monitors().get(source.get()), null, CANCEL_TIMEOUT);
        }
    }

    /** Cancels the migration of the recorded migration's source; the guest runs again. */
    public void cancelMigration(String migrationId) throws Exception {
        Optional<QemuInstance> source = facts(migrationId).flatMap(resources::source);
        if (source.isPresent()) {
            SourceSide.cancelMigration(resources.monitors().get(source.get()), CANCEL_TIMEOUT);
        }
    }

    /** Stops the NBD server of the recorded destination QEMU, if it runs. */
    public void stopNbdServer(String migrationId) throws Exception {
        Optional<QemuInstance> destination = facts(migrationId).flatMap(resources::destination);
        if (destination.isPresent()) {
            DestinationSide.stopNbdServer(resources.monitors().get(destination.get()));
        }
    }

    /**
     * Stops each destination QEMU the migration recorded (quit, then kill), only if it is still
     * that domain's QEMU launched by nbdflow with the recorded pid, and removes its folder unless
     * another QEMU of the domain lives there. Returns what was done.
     */
    public List<String> stopDestination(String migrationId) {
        return stopDestination(migrationId, new ArrayList<>());
    }

    /**
     * {@link #stopDestination(String)}; a QEMU whose host does not answer keeps its record and is
     * added to {@code notReached}.
     */
    public List<String> stopDestination(String migrationId, List<String> notReached) {
        List<String> done = new ArrayList<>();
        for (Resource r : resources.records().resources(migrationId, Kind.DESTINATION_QEMU)) {
            try {
                stopRecordedQemu(migrationId, r, done);
            } catch (HostUnreachableException e) {
                notReached.add("destination QEMU pid " + r.pid() + " of '" + r.path() + "' on " + r.host() + ": "
                        + e.getMessage());
            }
        }
        return done;
    }

    private void stopRecordedQemu(String migrationId, Resource r, List<String> done) {
        Optional<Host> host = resources.hosts().find(r.host());
        if (host.isEmpty()) {
            log.warn("migration {}: destination QEMU recorded on unknown host '{}': record dropped", migrationId,
                    r.host());
            resources.records().remove(r);
            return;
        }
        String domain = r.path();
        QemuInstance recorded = QemuInstance.of(domain, host.get(), r.pid());
        Optional<QemuInstance> running = resources.processes().find(host.get(), domain);
        if (running.isPresent() && running.get().pid() != r.pid()) {
            // the folder belongs to another QEMU of the domain now: neither it nor its folder is ours
            log.warn("migration {}: domain '{}' on {} runs as pid {}, not the recorded {}: left alone",
                    migrationId, domain, r.host(), running.get().pid(), r.pid());
        } else {
            boolean alive = resources.processes().isOwnQemu(host.get(), domain, r.pid());
            // stop() signals only the domain's own QEMU of that pid, and removes the folder
            resources.processes().stop(recorded, resources.tuning().qemuStopTimeout());
            done.add((alive ? "stopped destination QEMU pid " + r.pid() + " and removed folder " : "removed folder ")
                    + recorded.dir() + " on " + r.host());
        }
        resources.records().remove(r);
    }

    /**
     * Removes the files the migration recorded as created, and those its journal on any host lists
     * (created, but the step's commit was lost), each only if it lies below that host's folders.
     * Returns what was removed.
     */
    public List<String> removeCreatedFiles(String migrationId) {
        return removeCreatedFiles(migrationId, new ArrayList<>());
    }

    /**
     * {@link #removeCreatedFiles(String)}; a file whose host does not answer keeps its record and
     * is added to {@code notReached}. A journal on such a host stays too: the reconciler finds it
     * there once the host answers.
     */
    public List<String> removeCreatedFiles(String migrationId, List<String> notReached) {
        List<String> removed = new ArrayList<>();
        Set<String> silent = new LinkedHashSet<>(); // asked once per host: each attempt may wait for a timeout
        for (Resource r : resources.records().resources(migrationId, Kind.CREATED_FILE)) {
            Optional<Host> host = resources.hosts().find(r.host());
            if (host.isPresent()) {
                if (silent.contains(r.host())) {
                    notReached.add("file " + r.path() + " on " + r.host());
                    continue;
                }
                try {
                    if (deleteConfined(migrationId, host.get(), Path.of(r.path()))) {
                        removed.add("removed file " + r.path() + " on " + r.host());
                    }
                } catch (HostUnreachableException e) {
                    silent.add(r.host());
                    notReached.add("file " + r.path() + " on " + r.host() + ": " + e.getMessage());
                    continue;
                }
            }
            resources.records().remove(r);
        }
        for (Host h : resources.hosts().all()) {
            if (silent.contains(h.name())) {
                continue;
            }
            try {
                removed.addAll(removeJournaled(migrationId, h));
            } catch (HostUnreachableException e) {
                log.info("migration {}: created-files journal on {} left for later: {}", migrationId, h.name(),
                        e.getMessage());
            }
        }
        return removed;
    }

    /** The migrations that have a created-files journal on some host. */
    public Set<String> journaledMigrations() {
        Set<String> ids = new LinkedHashSet<>();
        for (Host h : resources.hosts().all()) {
            try {
                ids.addAll(CreatedFilesJournal.migrations(resources.hosts().connection(h)));
            } catch (HostUnreachableException e) {
                // its journals are found on a later run, once it answers
                log.info("created-files journals on {} not read: {}", h.name(), e.getMessage());
            }
        }
        return ids;
    }

    /** The files a migration's journal on that host lists, removed (confined), then the journal. */
    public List<String> removeJournaled(String migrationId, Host host) {
        List<String> removed = new ArrayList<>();
        CreatedFilesJournal journal = new CreatedFilesJournal(resources.hosts().connection(host), migrationId);
        for (Path f : journal.files()) {
            if (deleteConfined(migrationId, host, f)) {
                removed.add("removed file " + f + " on " + host.name());
            }
        }
        journal.delete();
        return removed;
    }

    private boolean deleteConfined(String migrationId, Host host, Path file) {
        try {
            return resources.hosts().connection(host).deleteFileBelowHostFolders(file);
        } catch (IllegalArgumentException outside) {
            log.warn("migration {}: {}", migrationId, outside.getMessage());
            return false;
        }
    }

    /**
     * Everything at once, for a migration whose instance is gone before the switchover: source
     * jobs cancelled and the guest running, destination QEMU stopped, files removed, ports and the
     * domain released, the records dropped. After the switchover only the bookkeeping is dropped.
     * Returns what was done. What lies on a host that does not answer is left with its records and
     * the ports (its QEMU may still listen on them) for a later call; the source's part is done by
     * then, so the migration's facts are dropped and a later call touches only those hosts. A
     * source that does not answer: HostUnreachableException, nothing forgotten.
     */
    public List<String> undoAll(String migrationId) throws Exception {
        List<String> done = new ArrayList<>();
        List<String> notReached = new ArrayList<>();
        Optional<Facts> facts = facts(migrationId);
        if (facts.isPresent() && facts.get().switchoverStarted()) {
            done.add("past the switchover: nothing undone");
        } else {
            List<String> problems = cancelSourceJobs(migrationId);
            if (facts.isPresent()) {
                done.add("cancelled source jobs of '" + facts.get().domain() + "' on " + facts.get().sourceHost()
                        + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")"));
            }
            done.addAll(stopDestination(migrationId, notReached));
            done.addAll(removeCreatedFiles(migrationId, notReached));
        }
        if (!notReached.isEmpty()) {
            resources.records().dropFacts(migrationId);
            releaseDomain(migrationId, done);
            done.add(HOST_UNREACHABLE + String.join("; ", notReached));
            return done;
        }
        List<Integer> ports = resources.ports().heldBy(migrationId);
        if (!ports.isEmpty()) {
            done.add("released ports " + ports);
        }
        releaseDomain(migrationId, done);
        resources.releaseBookkeeping(migrationId, null);
        resources.records().forget(migrationId);
        return done;
    }

    /** How {@link #undoAll} begins the line saying what it had to leave for later. */
    public static final String HOST_UNREACHABLE = "host unreachable, next run retries: ";

    private void releaseDomain(String migrationId, List<String> done) {
        resources.domains().claims().forEach((domain, owner) -> {
            if (owner.equals(migrationId)) {
                done.add("released domain '" + domain + "'");
            }
        });
        resources.domains().releaseMigrationsOf(migrationId);
    }

    private interface QemuCall {
        void run() throws Exception;
    }

    private static void attempt(List<String> problems, String what, QemuCall call) throws Exception {
        try {
            call.run();
        } catch (QemuGoneException | QmpClosedException gone) {
            throw gone;
        } catch (QmpException | MigrationStepException e) {
            problems.add(what + ": " + e.getMessage());
        }
    }
}
