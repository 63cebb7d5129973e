package io.nbdflow.process;

import java.util.List;

/**
 * The names in {@code processes/storage-migration.bpmn} that code refers to: the process key, the
 * activity ids the watcher, the API and the tests look for, and the message names the watcher and
 * the abort correlate. A renamed element in the diagram is renamed here, and nowhere else.
 */
public final class Bpmn {
    public static final String PROCESS_KEY = "storageMigration";

    // steps, in the order they run
    public static final String INSPECT_SOURCE = "Task_InspectSource";
    public static final String CHECK_BLOCK_JOBS = "Task_CheckBlockJobs";
    public static final String PRECREATE_DISKS = "Task_PrecreateDisks";
    public static final String START_DESTINATION = "Task_StartDestination";
    public static final String START_NBD_SERVER = "Task_StartNbdServer";
    public static final String MIRROR_DISKS = "Task_MirrorDisks";
    public static final String WAIT_STEADY_STATE = "Task_WaitSteadyState";
    public static final String APPROVE_SWITCHOVER = "UserTask_ApproveSwitchover";
    public static final String START_MIGRATION = "Task_StartMigration";
    public static final String WAIT_SWITCHOVER_POINT = "Task_WaitSwitchoverPoint";
    public static final String SWITCH_OVER = "Task_SwitchOver";
    public static final String GATEWAY_MIGRATED = "Gateway_Migrated";
    public static final String RESUME_DESTINATION = "Task_ResumeDestination";
    public static final String STOP_SOURCE = "Task_StopSource";
    public static final String START_BLOCK_MIGRATION = "Task_StartBlockMigration";
    public static final String WAIT_BLOCK_MIGRATION = "Task_WaitBlockMigration";

    // undo handlers and the rollback
    public static final String REMOVE_PRECREATED_DISKS = "Task_RemovePrecreatedDisks";
    public static final String STOP_DESTINATION = "Task_StopDestination";
    public static final String STOP_NBD_SERVER = "Task_StopNbdServer";
    public static final String CANCEL_MIRROR = "Task_CancelMirror";
    public static final String CANCEL_MIGRATION = "Task_CancelMigration";
    public static final String CANCEL_BLOCK_MIGRATION = "Task_CancelBlockMigration";
    public static final String CANCEL_SOURCE_JOBS = "Task_CancelSourceJobs";
    public static final String RECORD_ROLLBACK = "Task_RecordRollback";
    public static final String RECORD_REFUSAL = "Task_RecordRefusal";
    public static final String RECORD_ABORT_REQUEST = "Task_RecordAbortRequest";

    /** Activities that only run once QEMU has begun the switchover: from there nothing is rolled back. */
    public static final List<String> PAST_SWITCHOVER = List.of(SWITCH_OVER, GATEWAY_MIGRATED, RESUME_DESTINATION,
            STOP_SOURCE);

    // messages
    public static final String MESSAGE_MIRRORS_READY = "mirrorsReady";
    public static final String MESSAGE_MIRROR_FAILED = "mirrorFailed";
    public static final String MESSAGE_SWITCHOVER_POINT = "switchoverPoint";
    public static final String MESSAGE_MIGRATION_FAILED = "migrationFailed";
    public static final String MESSAGE_BLOCK_MIGRATION_DONE = "blockMigrationDone";
    public static final String MESSAGE_ABORT = "abortMigration";

    private Bpmn() {
    }
}
