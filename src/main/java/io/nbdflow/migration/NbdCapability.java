package io.nbdflow.migration;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Whether a QEMU can take part in an NBD storage migration, judged from its
 * {@code query-commands} answer. A side that cannot falls back to the legacy path.
 */
public final class NbdCapability {

    private NbdCapability() {
    }

    /** Destination: an NBD server with writable exports, then the incoming migration. */
    public static boolean canServeNbd(Collection<String> qmpCommands) {
        return missingToServeNbd(qmpCommands).isEmpty();
    }

    /** Source: mirror jobs into the destination's exports and a paused switchover. */
    public static boolean canMirrorToNbd(Collection<String> qmpCommands) {
        return missingToMirrorToNbd(qmpCommands).isEmpty();
    }

    /** What the destination lacks, e.g. {@code ["block-export-add or nbd-server-add"]}; empty if nothing. */
    public static List<String> missingToServeNbd(Collection<String> qmpCommands) {
        List<String> missing = new ArrayList<>();
        requireAll(qmpCommands, missing, "nbd-server-start", "nbd-server-stop");
        if (!qmpCommands.contains("block-export-add") && !qmpCommands.contains("nbd-server-add")) {
            missing.add("block-export-add or nbd-server-add");
        }
        requireAll(qmpCommands, missing, "migrate-incoming");
        return missing;
    }

    /** What the source lacks; empty if nothing. */
    public static List<String> missingToMirrorToNbd(Collection<String> qmpCommands) {
        List<String> missing = new ArrayList<>();
        requireAll(qmpCommands, missing, "blockdev-add", "blockdev-mirror", "blockdev-del", "block-job-cancel",
                "query-block-jobs", "migrate-continue");
        return missing;
    }

    /** The export command to use: {@code block-export-add} where present, else the older {@code nbd-server-add}. */
    public static String exportCommand(Collection<String> qmpCommands) {
        if (qmpCommands.contains("block-export-add")) {
            return "block-export-add";
        }
        if (qmpCommands.contains("nbd-server-add")) {
            return "nbd-server-add";
        }
        throw new IllegalArgumentException("neither block-export-add nor nbd-server-add is available");
    }

    private static void requireAll(Collection<String> have, List<String> missing, String... commands) {
        for (String command : commands) {
            if (!have.contains(command)) {
                missing.add(command);
            }
        }
    }
}
