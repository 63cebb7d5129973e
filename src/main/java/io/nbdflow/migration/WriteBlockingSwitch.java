package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpException;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Switches running mirrors from background to write-blocking (QEMU 8.2 and later, {@code block-job-change}).
 * Done once every mirror is ready: from then on each guest write reaches the destination before the
 * guest sees it completed, so no mirror is left catching up when the switchover completes them.
 */
public final class WriteBlockingSwitch {
    /** The QMP command, listed by {@code query-commands} where QEMU has it. */
    public static final String COMMAND = "block-job-change";

    private final Collection<String> targets;
    private boolean asked;

    /** A switch of our mirrors of those disks, not asked for yet. */
    public WriteBlockingSwitch(Collection<String> targets) {
        this.targets = List.copyOf(targets);
    }

    /**
     * For a wait that sees every mirror ready: asks QEMU to switch them (the first time), then tells
     * whether all of them are actively synced yet. Called again on each look until they are.
     */
    public boolean switchAndCheck(QmpClient qmp) throws QmpException {
        if (!asked) {
            switchMirrors(qmp, targets);
            asked = true;
        }
        return activelySynced(qmp, targets);
    }

    /** Whether a QEMU with those commands (its {@code query-commands}) can switch a running mirror. */
    public static boolean available(Set<String> commands) {
        return commands.contains(COMMAND);
    }

    /**
     * Asks QEMU to switch our mirror of each of those disks to write-blocking. QEMU takes a switch to
     * the mode a mirror already has as done, so asking again (a retried check, a restart) is harmless.
     */
    public static void switchMirrors(QmpClient qmp, Collection<String> targets) throws QmpException {
        for (String target : targets) {
            qmp.execute(COMMAND, Map.of("id", MirrorJobs.jobId(target), "type", "mirror",
                    "copy-mode", MirrorCopyMode.WRITE_BLOCKING.value()));
        }
    }

    /**
     * Whether our mirror of every one of those disks is ready and, where QEMU reports it
     * ({@code actively-synced}, since 8.2), copies each guest write at once with nothing left to copy.
     * A mirror that is missing is not.
     */
    public static boolean activelySynced(QmpClient qmp, Collection<String> targets) throws QmpException {
        JsonNode jobs = qmp.execute("query-block-jobs");
        for (String target : targets) {
            JsonNode job = find(jobs, MirrorJobs.jobId(target));
            if (job == null || !job.path("ready").asBoolean(false)
                    || !job.path("actively-synced").asBoolean(true)) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode find(JsonNode jobs, String id) {
        for (JsonNode job : jobs) {
            if (id.equals(job.path("device").asText()) || id.equals(job.path("id").asText())) {
                return job;
            }
        }
        return null;
    }
}
