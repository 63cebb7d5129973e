package io.nbdflow.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.domain.DomainDefinition;
import io.nbdflow.host.DiskAttachment;
import io.nbdflow.host.Host;
import io.nbdflow.host.LaunchRequest;
import io.nbdflow.host.Monitors;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuLauncher;
import io.nbdflow.host.HostMachines;
import io.nbdflow.host.Machine;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.host.Storage;
import io.nbdflow.migration.BlockJob;
import io.nbdflow.migration.DestinationSide;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.migration.MirrorOptions;
import io.nbdflow.migration.MigrationStatus;
import io.nbdflow.migration.RamConvergence;
import io.nbdflow.migration.SourceSide;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;

/**
 * The floor the workflow is measured against: the same QMP sequence as the BPMN process, issued
 * one after the other by this driver, with no engine and no database. It uses the project's own
 * launcher, storage and QMP steps, so the only difference left is the orchestration.
 */
final class BareSequence {

    /** Milliseconds from the start: steady state (all mirrors ready), the end; downtime from QEMU. */
    record Result(long totalMs, long steadyStateMs, long downtimeMs, Map<String, Long> phases) {
    }

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);

    private final QemuLauncher launcher;
    private final QemuProcesses processes;
    private final Monitors monitors;
    private final Storage storage;

    private final HostMachines machines;

    BareSequence(QemuLauncher launcher, QemuProcesses processes, Monitors monitors, Storage storage,
                 HostMachines machines) {
        this.machines = machines;
        this.launcher = launcher;
        this.processes = processes;
        this.monitors = monitors;
        this.storage = storage;
    }

    /**
     * Migrates the running source (started with -drive backends) to the destination host, every
     * disk copied over NBD, and quits the source. The destination QEMU keeps running.
     */
    Result migrate(DomainDefinition domain, QemuInstance source, Host destination, int nbdPort, int migrationPort)
            throws QmpException, InterruptedException, java.nio.file.FileAlreadyExistsException {
        long t0 = System.nanoTime();
        Map<String, Long> phases = new java.util.LinkedHashMap<>();
        String address = destination.address().getHostAddress();

        // Prepare: disks of the same size and format, QEMU waiting for the incoming migration, NBD exports
        List<DiskDefinition> destinationDisks = new ArrayList<>();
        for (DiskDefinition d : domain.disks()) {
            long size = storage.info(source.host(), Path.of(d.file())).virtualSize();
            Path file = DiskPlan.destinationFile(destination.storageDir(), domain.name(), d.target(), d.format());
            storage.createExclusive(destination, file, d.format(), size, null, null);
            destinationDisks.add(new DiskDefinition(d.target(), file.toString(), d.format(), false));
        }
        phases.put("disks created", ms(t0));
        QemuInstance target = launcher.launch(new LaunchRequest(domain.movedTo(destination.name(), destinationDisks).vm(),
                destination, new Machine(SourceSide.machineType(monitors.get(source)), machines.accelerator(destination)),
                DiskAttachment.BLOCKDEV, true));
        phases.put("destination started", ms(t0));
        QmpClient dst = monitors.get(target);
        DestinationSide.startNbdServer(dst, address, nbdPort);
        for (DiskDefinition d : destinationDisks) {
            DestinationSide.exportDisk(dst, d.target());
        }
        DestinationSide.migrateIncoming(dst, DestinationSide.tcpUri(address, migrationPort));
        phases.put("nbd exported", ms(t0));

        // Perform: mirrors, steady state by event, RAM migration held before switchover
        QmpClient src = monitors.get(source);
        Semaphore wake = new Semaphore(0);
        try (QmpClient.Subscription events = src.subscribe(e -> {
            if (e.name().startsWith("BLOCK_JOB") || e.name().equals("MIGRATION")) {
                wake.release();
            }
        })) {
            for (DiskDefinition d : domain.disks()) {
                SourceSide.startMirror(src, new MirrorOptions(d.target(), address, nbdPort, false, 0));
            }
            phases.put("mirrors started", ms(t0));
            awaitReady(src, domain.disks().size(), wake);
            long steady = ms(t0);
            phases.put("steady state", steady);

            SourceSide.startMigration(src, DestinationSide.tcpUri(address, migrationPort), 0,
                    RamConvergence.DEFAULT);
            awaitPreSwitchover(src, wake);
            phases.put("pre-switchover", ms(t0));
            SourceSide.completeMirrors(src, STEP_TIMEOUT);
            MigrationStatus done = SourceSide.continueMigration(src, STEP_TIMEOUT);
            if (!done.status().equals("completed")) {
                throw new IllegalStateException("bare migration ended " + done.status() + ": " + done.errorDesc());
            }
            phases.put("migration completed", ms(t0));

            // Finish on the destination, Confirm on the source
            DestinationSide.stopNbdServer(dst);
            DestinationSide.resume(dst);
            phases.put("destination running", ms(t0));
            processes.stop(source, Duration.ofSeconds(10));
            long total = ms(t0);
            phases.put("source stopped", total);
            return new Result(total, steady, done.downtimeMs(), phases);
        }
    }

    /** All mirrors ready: woken by BLOCK_JOB_* events, re-checked with query-block-jobs (at least every second). */
    private static void awaitReady(QmpClient src, int disks, Semaphore wake) throws QmpException, InterruptedException {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (true) {
            wake.drainPermits();
            List<BlockJob> jobs = SourceSide.mirrorJobs(src);
            if (jobs.size() < disks || jobs.stream().anyMatch(j -> j.error() != null)) {
                throw new IllegalStateException("a mirror failed or vanished: " + jobs);
            }
            if (jobs.stream().allMatch(BlockJob::ready)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("mirrors not ready within " + STEP_TIMEOUT + ": " + jobs);
            }
            wake.tryAcquire(1, TimeUnit.SECONDS);
        }
    }

    private static void awaitPreSwitchover(QmpClient src, Semaphore wake) throws QmpException, InterruptedException {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (true) {
            wake.drainPermits();
            MigrationStatus s = SourceSide.queryMigrate(src);
            if (s.status().equals("pre-switchover")) {
                return;
            }
            if (!s.isActive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("migration is '" + s.status() + "', not pre-switchover: " + s.errorDesc());
            }
            wake.tryAcquire(1, TimeUnit.SECONDS);
        }
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
