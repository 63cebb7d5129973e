package io.nbdflow.application;

import io.nbdflow.process.Vars;

import java.util.List;

/**
 * A migration as a person follows it: where it is ({@code phase}: the names of the steps it is in,
 * "starting" before the first one, "ended" once it is over), each copied disk's and the RAM's
 * progress read live from the source QEMU while it runs, and the outcome and figures once it ended.
 * {@code ram} is null when there is nothing to read (no source QEMU, or the migration ended).
 * {@code encrypted}: whether NBD and migration are encrypted with TLS; null until it is decided.
 */
public record MigrationView(String processInstanceId, String domain, String destinationHost, String phase,
                            String storageTransport, List<DiskProgress> disks, RamProgress ram, String outcome,
                            String failureReason, Long downtimeMs, Long totalTimeMs, Long bytesMirrored,
                            Boolean encrypted) {

    public static final String PHASE_STARTING = "starting";
    public static final String PHASE_ENDED = "ended";

    public MigrationView {
        disks = List.copyOf(disks);
    }

    public MigrationView(String processInstanceId, String domain, String destinationHost, String phase,
                         String storageTransport, List<DiskProgress> disks, RamProgress ram, String outcome,
                         String failureReason, Long downtimeMs, Long totalTimeMs, Long bytesMirrored) {
        this(processInstanceId, domain, destinationHost, phase, storageTransport, disks, ram, outcome, failureReason,
                downtimeMs, totalTimeMs, bytesMirrored, null);
    }

    public boolean ended() {
        return PHASE_ENDED.equals(phase);
    }

    public boolean migrated() {
        return Vars.OUTCOME_MIGRATED.equals(outcome);
    }

    /** One copied disk: QEMU's mirror offset and length, and whether the mirror is in sync. */
    public record DiskProgress(String target, long bytesCopied, long bytesTotal, boolean ready) {
    }

    /** The RAM migration as QEMU reports it (status "none" before it began). */
    public record RamProgress(String status, long transferred, long remaining) {
    }
}
