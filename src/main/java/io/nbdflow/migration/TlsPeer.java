package io.nbdflow.migration;

import java.util.Objects;

/**
 * How the source reaches the destination over TLS: the id of its credentials object
 * ({@link TlsCredentials#load}) and the name the destination's certificate must carry (its
 * address), which QEMU checks.
 */
public record TlsPeer(String credsId, String hostname) {

    public TlsPeer {
        Objects.requireNonNull(credsId, "credsId");
        Objects.requireNonNull(hostname, "hostname");
    }
}
