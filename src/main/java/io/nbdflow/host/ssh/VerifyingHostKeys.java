package io.nbdflow.host.ssh;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.HostKeyRepository;
import com.jcraft.jsch.UserInfo;

/**
 * The known-hosts file of one connection attempt, read-only: it answers JSch's check as the file
 * does (hashed and {@code [host]:port} entries included) and keeps the key the host offered, so a
 * refusal can name it and a success can report it. Adding or removing keys is refused: only an
 * operator edits the file.
 */
final class VerifyingHostKeys implements HostKeyRepository {

    private final HostKeyRepository file;
    private volatile byte[] offered;
    private volatile int verdict = NOT_INCLUDED;

    VerifyingHostKeys(HostKeyRepository file) {
        this.file = file;
    }

    @Override
    public int check(String host, byte[] key) {
        offered = key.clone();
        verdict = file.check(host, key);
        return verdict;
    }

    /** The key the host offered in the last check; null before any. */
    byte[] offeredKey() {
        byte[] k = offered;
        return k == null ? null : k.clone();
    }

    /** {@link #OK}, {@link #NOT_INCLUDED} or {@link #CHANGED}: how the last offered key compared. */
    int verdict() {
        return verdict;
    }

    /**
     * The key algorithms the file lists for that host (as JSch names the host: {@code [host]:port}
     * when the port is not 22), an RSA key standing for its SHA-2 signatures too.
     */
    List<String> listedAlgorithms(String jschHost) {
        Set<String> types = new LinkedHashSet<>();
        HostKey[] keys = file.getHostKey(jschHost, null);
        if (keys != null) {
            Arrays.stream(keys).map(HostKey::getType).forEach(type -> {
                if (type.equals("ssh-rsa")) {
                    types.add("rsa-sha2-512");
                    types.add("rsa-sha2-256");
                }
                types.add(type);
            });
        }
        return List.copyOf(types);
    }

    @Override
    public void add(HostKey hostkey, UserInfo ui) {
        // never written: StrictHostKeyChecking is on and the file belongs to the operator
    }

    @Override
    public void remove(String host, String type) {
        // never written
    }

    @Override
    public void remove(String host, String type, byte[] key) {
        // never written
    }

    @Override
    public String getKnownHostsRepositoryID() {
        return file.getKnownHostsRepositoryID();
    }

    @Override
    public HostKey[] getHostKey() {
        return file.getHostKey();
    }

    @Override
    public HostKey[] getHostKey(String host, String type) {
        return file.getHostKey(host, type);
    }
}
