package io.nbdflow.host;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A host's x509 credentials for TLS, PEM files on that host: the certificate of the authority it
 * trusts ({@code ca}), its own certificate ({@code cert}, naming the host's address and allowed
 * both as TLS server and client) and that certificate's private key ({@code key}).
 */
public record TlsFiles(Path ca, Path cert, Path key) {

    public TlsFiles {
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
    }
}
