package io.nbdflow.config;

/** An inclusive range of TCP ports, e.g. 49152-49215, from which migrations take their ports. */
public record PortRange(int first, int last) {

    public PortRange {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("'" + first + "-" + last + "' is not a port range within 1-65535");
        }
    }

    /** Parses "49152-49215" (or a single port "49152"). */
    public static PortRange parse(String text) {
        String t = text == null ? "" : text.trim();
        String[] parts = t.split("-", -1);
        try {
            if (parts.length == 1) {
                int port = Integer.parseInt(parts[0].trim());
                return new PortRange(port, port);
            }
            if (parts.length == 2) {
                return new PortRange(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
            }
        } catch (NumberFormatException e) {
            // reported below
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + t + "' is not a port range within 1-65535 (first-last)");
        }
        throw new IllegalArgumentException("'" + t + "' is not a port range like 49152-49215");
    }

    public int size() {
        return last - first + 1;
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
