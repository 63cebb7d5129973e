package io.nbdflow.host;

/**
 * Whether a host answers at all, asked with the cheapest question there is (does its state folder
 * exist). Code that caught a {@link HostUnreachableException} asks this to learn which of the
 * hosts it was talking to has gone: the exception says that one host did not answer, not which.
 * This machine always answers.
 */
public final class Reachability {

    private Reachability() {
    }

    public static boolean answers(HostConnection connection) {
        if (!connection.host().isRemote()) {
            return true;
        }
        try {
            connection.exists(connection.host().stateDir());
            return true;
        } catch (HostUnreachableException e) {
            return false;
        }
    }

    /** Whether this failure, or one of its causes, is a host that could not be reached. */
    public static boolean isUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HostUnreachableException) {
                return true;
            }
        }
        return false;
    }
}
