package io.nbdflow.host;

/** One disk of a domain: guest target (vda), image file (absolute path), qcow2 or raw. */
public record DiskDefinition(String target, String file, String format, boolean readonly) {
}
