package io.nbdflow.application;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.nbdflow.process.Vars;

import java.util.List;

/**
 * A migration as a person follows it: where it is ({@code phase}: the names of the steps it is in,
 * as the diagram in Cockpit names them; "starting" before the first one, "ended" once it is over),
 * each copied disk's and the RAM's progress read live from the source QEMU while it runs, with
 * their rates, the estimated time left ({@code phaseEtaSeconds} for the current step,
 * {@code etaSeconds} for the whole migration; absent when unknown, see {@link MigrationEta}), and the
 * outcome and figures once it ended. {@code ram} is null when there is nothing to read (no source
 * QEMU, or the migration ended). {@code encrypted}: whether NBD and migration are encrypted with
 * TLS; null until it is decided.
 */
public record MigrationView(String processInstanceId, String domain, String destinationHost, String phase,
                            String storageTransport, List<DiskProgress> disks, RamProgress ram, String outcome,
                            String failureReason, Long downtimeMs, Long totalTimeMs, Long bytesMirrored,
                            Boolean encrypted,
                            @JsonInclude(JsonInclude.Include.NON_NULL) Long phaseEtaSeconds,
                            @JsonInclude(JsonInclude.Include.NON_NULL) Long etaSeconds) {

    public static final String PHASE_STARTING = "starting";
    public static final String PHASE_ENDED = "ended";

    public MigrationView {
        disks = List.copyOf(disks);
    }

    /** Without encryption decided and without estimates (one nothing is known about yet). */
    public MigrationView(String processInstanceId, String domain, String destinationHost, String phase,
                         String storageTransport, List<DiskProgress> disks, RamProgress ram, String outcome,
                         String failureReason, Long downtimeMs, Long totalTimeMs, Long bytesMirrored) {
        this(processInstanceId, domain, destinationHost, phase, storageTransport, disks, ram, outcome, failureReason,
                downtimeMs, totalTimeMs, bytesMirrored, null, null, null);
    }

    public boolean ended() {
        return PHASE_ENDED.equals(phase);
    }

    public boolean migrated() {
        return Vars.OUTCOME_MIGRATED.equals(outcome);
    }

    /**
     * One copied disk: QEMU's mirror offset and length, whether the mirror is in sync, and the
     * copy's smoothed bytes per second (absent until two readings were taken). A disk whose mirror
     * has not started yet shows its size and nothing copied; one whose mirror completed at the
     * switchover shows its size copied.
     */
    public record DiskProgress(String target, long bytesCopied, long bytesTotal, boolean ready,
                               @JsonInclude(JsonInclude.Include.NON_NULL) Long bytesPerSecond) {
        public DiskProgress(String target, long bytesCopied, long bytesTotal, boolean ready) {
            this(target, bytesCopied, bytesTotal, ready, null);
        }
    }

    /** The RAM migration as QEMU reports it (status "none" before it began), with the smoothed send rate. */
    public record RamProgress(String status, long transferred, long remaining,
                              @JsonInclude(JsonInclude.Include.NON_NULL) Long bytesPerSecond) {
        public RamProgress(String status, long transferred, long remaining) {
            this(status, transferred, remaining, null);
        }
    }
}
