package io.nbdflow.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Parses IP address literals without ever asking DNS: InetAddress.getByName would resolve
 * anything that is not a well-formed literal, so the text is checked first.
 */
public final class IpLiteral {

    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    private IpLiteral() {
    }

    /** The address, or IllegalArgumentException "'abc' is not an IP address". */
    public static InetAddress parse(String text) {
        String t = text == null ? "" : text.trim();
        boolean v4 = IPV4.matcher(t).matches();
        // a ':' makes getByName treat the text as an IPv6 literal, never as a host name
        boolean v6 = t.indexOf(':') >= 0 && IPV6.matcher(t).matches();
        if (v4 || v6) {
            try {
                return InetAddress.getByName(t);
            } catch (UnknownHostException e) {
                // falls through to the common message
            }
        }
        throw new IllegalArgumentException("'" + t + "' is not an IP address");
    }
}
