package io.nbdflow.host;

/** A host name that is not in the configuration. */
public class UnknownHostNameException extends RuntimeException {

    private final String hostName;

    public UnknownHostNameException(String hostName, String configured) {
        super("unknown host '" + hostName + "'; configured: " + configured);
        this.hostName = hostName;
    }

    public String hostName() {
        return hostName;
    }
}
