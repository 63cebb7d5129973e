package io.nbdflow.host;

/** How a host's QEMUs run guests: chosen per host, the same on both sides of a migration. */
public enum Accelerator {
    /** KVM where the host's /dev/kvm is usable, TCG otherwise. */
    AUTO,
    KVM,
    TCG;

    /** The configuration's word for it (auto, kvm, tcg); null means AUTO. */
    public static Accelerator parse(String word) {
        return word == null ? AUTO : valueOf(word.toUpperCase(java.util.Locale.ROOT));
    }
}
