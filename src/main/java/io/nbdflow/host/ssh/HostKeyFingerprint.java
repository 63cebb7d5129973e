package io.nbdflow.host.ssh;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** A public key's fingerprint as OpenSSH prints it ({@code ssh-keygen -lf}): SHA256, base64 without padding. */
final class HostKeyFingerprint {

    private HostKeyFingerprint() {
    }

    static String of(byte[] keyBlob) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(keyBlob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** The key type a key blob names in its first field (e.g. {@code ssh-ed25519}). */
    static String typeOf(byte[] keyBlob) {
        try {
            ByteBuffer b = ByteBuffer.wrap(keyBlob);
            int length = b.getInt();
            byte[] name = new byte[length];
            b.get(name);
            return new String(name, StandardCharsets.US_ASCII);
        } catch (RuntimeException e) {
            return "unknown type";
        }
    }
}
