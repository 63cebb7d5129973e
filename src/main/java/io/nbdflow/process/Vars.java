package io.nbdflow.process;

import io.nbdflow.migration.MigrationRequest;
import org.camunda.bpm.engine.delegate.VariableScope;

/**
 * Names of the process variables: the inputs and outputs every client sees (REST API, Cockpit,
 * forms), and those the steps hand to each other.
 */
public final class Vars {
    // inputs: the fields of a migration's request
    public static final String DOMAIN = MigrationRequest.DOMAIN;
    public static final String DESTINATION_HOST = MigrationRequest.DESTINATION_HOST;
    public static final String COPY_STORAGE = MigrationRequest.COPY_STORAGE;
    public static final String MIGRATE_DISKS = MigrationRequest.MIGRATE_DISKS;
    public static final String TUNNELLED = MigrationRequest.TUNNELLED;
    /** Long, in MiB/s; 0 for no limit. */
    public static final String BANDWIDTH_MIBPS = MigrationRequest.BANDWIDTH_MIBPS;
    public static final String APPROVE_SWITCHOVER = MigrationRequest.APPROVE_SWITCHOVER;
    public static final String KEEP_SOURCE_DISKS = MigrationRequest.KEEP_SOURCE_DISKS;
    /** String: background, write-blocking or auto. */
    public static final String MIRROR_COPY_MODE = MigrationRequest.MIRROR_COPY_MODE;
    /** Long, in milliseconds; 0 for QEMU's own downtime limit. */
    public static final String MAX_DOWNTIME_MS = MigrationRequest.MAX_DOWNTIME_MS;
    public static final String AUTO_CONVERGE = MigrationRequest.AUTO_CONVERGE;
    /** Long, in seconds. */
    public static final String STALL_TIMEOUT_SECONDS = MigrationRequest.STALL_TIMEOUT_SECONDS;
    /** Boolean; absent means "where both hosts have TLS". */
    public static final String REQUIRE_TLS = MigrationRequest.REQUIRE_TLS;
    /** The approval task's decision (its form's checkbox). */
    public static final String SWITCHOVER_APPROVED = "switchoverApproved";
    // outputs
    public static final String OUTCOME = "outcome";
    public static final String STORAGE_TRANSPORT = "storageTransport";
    public static final String FAILURE_REASON = "failureReason";
    public static final String DOWNTIME_MS = "downtimeMs";
    public static final String TOTAL_TIME_MS = "totalTimeMs";
    public static final String BYTES_MIRRORED = "bytesMirrored";
    /** Boolean: whether NBD and migration are encrypted with TLS (both hosts have TLS credentials). */
    public static final String ENCRYPTED = "encrypted";
    public static final String COOKIE_BEGIN = "cookieBegin";
    public static final String COOKIE_PREPARE = "cookiePrepare";
    /** String: the copy mode each disk's mirror runs in and why (see {@link CopyModesUsed}). */
    public static final String MIRROR_COPY_MODE_USED = "mirrorCopyModeUsed";
    // between steps
    public static final String SOURCE_HOST = "sourceHost";
    /** The {@link io.nbdflow.migration.DiskPlan} as JSON text: the one list of the disks and what happens to each. */
    public static final String DISK_PLAN = "diskPlan";
    /**
     * The approval task's own (task-local) variable: the targets to copy, comma-separated, which its
     * form shows. Written when the task is created, from the plan; no step reads it.
     */
    public static final String DISKS_TO_COPY = "disksToCopy";
    public static final String CONVERGENCE_TIMEOUT = "convergenceTimeout";
    /** JSON text: the guest's written bytes per disk when the source was inspected (see GuestWriteRate). */
    public static final String GUEST_WRITES_AT_INSPECTION = "guestWritesAtInspection";
    public static final String STARTED_AT = "startedAt";
    public static final String CREATED_FILES = "createdFiles";
    public static final String DESTINATION_PID = "destinationPid";
    /** How far into the source's console.log the copy to the destination reached (see ConsoleHandover). */
    public static final String CONSOLE_COPIED_UP_TO = "consoleCopiedUpTo";
    public static final String NBD_PORT = "nbdPort";
    public static final String MIGRATION_PORT = "migrationPort";
    public static final String WATCH_FAILURE = "watchFailure";
    public static final String DISK = "disk";
    public static final String ABORT_REQUESTED = "abortRequested";
    public static final String ABORT_REASON = "abortReason";

    public static final String OUTCOME_MIGRATED = "migrated";
    public static final String OUTCOME_ROLLED_BACK = "rolled-back";
    public static final String OUTCOME_REFUSED = "refused";

    private Vars() {
    }

    public static String string(VariableScope scope, String name) {
        Object v = scope.getVariable(name);
        return v == null ? null : v.toString();
    }

    public static long longValue(VariableScope scope, String name, long fallback) {
        Object v = scope.getVariable(name);
        return v instanceof Number n ? n.longValue() : fallback;
    }

    public static int intValue(VariableScope scope, String name) {
        Object v = scope.getVariable(name);
        if (!(v instanceof Number n)) {
            throw new IllegalStateException("process variable '" + name + "' is missing");
        }
        return n.intValue();
    }

    public static boolean flag(VariableScope scope, String name) {
        return Boolean.TRUE.equals(scope.getVariable(name));
    }
}
