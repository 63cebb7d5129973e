package io.nbdflow.host;

/**
 * One host as {@link HostCheck} found it just now. Fields it could not learn are null; error says
 * why (the host could not be reached, or its QEMU could not be run there).
 *
 * @param remote                 whether the host is another machine, reached over SSH
 * @param reachable              whether the host answered (its storage-dir's free space was read)
 * @param acceleratorConfigured  auto, kvm or tcg, as configured
 * @param acceleratorEffective   kvm or tcg, what its QEMUs run with; null if it cannot run them
 * @param machineTypes           how many machine types (names and aliases) its QEMU offers
 * @param defaultMachineType     the versioned type {@code pc} stands for there, given to new domains
 * @param hostKeyFingerprint     the verified SSH host key's fingerprint; empty for this machine
 * @param tls                    whether TLS credentials are configured for it (not whether they are valid)
 */
public record HostReport(String name, String address, boolean remote, boolean reachable, String error,
                         String qemuVersion, String acceleratorConfigured, String acceleratorEffective,
                         Integer machineTypes, String defaultMachineType, String storageDir, Long storageFreeBytes,
                         String hostKeyFingerprint, boolean tls) {
}
