package io.nbdflow.host;

import java.nio.file.Path;

/**
 * How a host that is another machine is reached: over SSH to {@code host:port} as {@code user},
 * logging in with the private key {@code identityFile}, accepting only a host key listed for it in
 * {@code knownHosts} (both files on this machine).
 */
public record SshTarget(String host, int port, String user, Path identityFile, Path knownHosts) {
}
