package io.nbdflow.migration;

/** Names the mirror block jobs this project starts, so cleanup never touches an operator's own job. */
public final class MirrorJobs {
    private static final String PREFIX = "nbdflow-mirror-";

    private MirrorJobs() {
    }

    public static String jobId(String target) {
        return PREFIX + target;
    }

    public static boolean isOurs(String jobId) {
        return jobId.startsWith(PREFIX);
    }

    /** The node the destination's NBD export of that disk is attached as on the source. */
    public static String targetNode(String target) {
        return "nbdflow-target-" + target;
    }

    public static String target(String jobId) {
        return jobId.substring(PREFIX.length());
    }
}
