package io.nbdflow.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * Everything under {@code nbdflow.*} in application.yaml. Unknown keys stop the application
 * (ignoreUnknownFields=false) and so does any value {@link #validate} rejects; Spring Boot then
 * prints the offending property, e.g. "nbdflow.hosts[1].address", with the reason.
 */
@ConfigurationProperties(prefix = "nbdflow", ignoreUnknownFields = false)
@Validated
public record NbdflowProperties(
        List<HostEntry> hosts,
        @DefaultValue("49152-49215") String ports,
        @DefaultValue("qemu-system-x86_64") String qemuBinary,
        @DefaultValue("qemu-img") String qemuImgBinary,
        @DefaultValue("qemu-io") String qemuIoBinary,
        @DefaultValue("./data") String dataDir,
        @DefaultValue("") String nodeName,
        @DefaultValue Migration migration) implements Validator {

    /** Host names appear in the API and in process variables: keep them plain. */
    static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /**
     * One entry of {@code nbdflow.hosts}, as written; the host layer turns it into a host of its own.
     * {@code imageDirs}: the only folders a domain's disk files may lie in (default: the storage-dir).
     */
    public record HostEntry(String name, String address, String stateDir, String storageDir, List<String> qemuWrapper,
                            List<String> imageDirs, SshEntry ssh, String accelerator, TlsEntry tls) {
    }

    /**
     * The {@code tls} block of a host: its x509 credentials, PEM files on that host. {@code ca} is
     * the certificate of the authority it trusts; {@code cert} (naming the host's address, usable
     * both as TLS server and client) and {@code key} are its own. All three or no block at all.
     */
    public record TlsEntry(String ca, String cert, String key) {
    }

    /**
     * The {@code ssh} block of a host: present means the host is another machine, reached only over
     * SSH with that key, its host key checked against that known_hosts file (paths on this machine).
     * {@code host} defaults to the host's address, {@code port} to 22, {@code user} to root.
     * There is deliberately no password field: key-based login only.
     */
    public record SshEntry(String host, Integer port, String user, String identityFile, String knownHosts) {
    }

    /** Accelerator choices of a host: {@code auto} (KVM where /dev/kvm is usable, else TCG), {@code kvm}, {@code tcg}. */
    public static final List<String> ACCELERATORS = List.of("auto", "kvm", "tcg");

    /** A login name as OpenSSH accepts it, and nothing a remote shell could read as more. */
    static final Pattern SSH_USER = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

    /** A DNS name or an IP literal. */
    static final Pattern SSH_HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.:-]{0,252}");

    /** Tuning of the migration process (read by the process layer). */
    public record Migration(
            @DefaultValue("60s") Duration convergenceTimeoutMin,
            @DefaultValue("120") long convergenceSecondsPerGib,
            @DefaultValue("2") double convergenceBandwidthFactor,
            @DefaultValue("1s") Duration pollInterval,
            @DefaultValue("10s") Duration qemuStopTimeout,
            @DefaultValue("60s") Duration switchoverTimeout,
            // how often the reconciler looks for what no live migration owns (and once at start-up)
            @DefaultValue("60s") Duration reconcilerInterval,
            // how long a host may stay unreachable before the switchover until the migration fails
            // (steps and the watcher try again meanwhile); the rollback waits as long for the source
            @DefaultValue("60s") Duration hostUnreachableTimeout) {
    }

    /** The configured port range; valid once the application has started. */
    public PortRange portRange() {
        return PortRange.parse(ports);
    }

    @Override
    public boolean supports(Class<?> type) {
        return NbdflowProperties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        NbdflowProperties p = (NbdflowProperties) target;
        if (p.hosts == null || p.hosts.isEmpty()) {
            errors.rejectValue("hosts", "required", "at least one host must be configured");
        } else {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < p.hosts.size(); i++) {
                validateHost(p.hosts.get(i), "hosts[" + i + "]", seen, i, errors);
            }
        }
        try {
            PortRange.parse(p.ports);
        } catch (IllegalArgumentException e) {
            errors.rejectValue("ports", "invalid", e.getMessage());
        }
        requireText(p.qemuBinary, "qemu-binary", errors);
        requireText(p.qemuImgBinary, "qemu-img-binary", errors);
        requireText(p.qemuIoBinary, "qemu-io-binary", errors);
        requireText(p.dataDir, "data-dir", errors);
        if (p.migration != null) {
            requirePositive(p.migration.convergenceTimeoutMin, "migration.convergence-timeout-min", errors);
            requirePositive(p.migration.pollInterval, "migration.poll-interval", errors);
            requirePositive(p.migration.qemuStopTimeout, "migration.qemu-stop-timeout", errors);
            requirePositive(p.migration.switchoverTimeout, "migration.switchover-timeout", errors);
            requirePositive(p.migration.reconcilerInterval, "migration.reconciler-interval", errors);
            requirePositive(p.migration.hostUnreachableTimeout, "migration.host-unreachable-timeout", errors);
            if (p.migration.convergenceSecondsPerGib < 0) {
                errors.rejectValue("migration.convergence-seconds-per-gib", "invalid", "must not be negative");
            }
            if (!(p.migration.convergenceBandwidthFactor >= 0 && p.migration.convergenceBandwidthFactor <= 100)) {
                errors.rejectValue("migration.convergence-bandwidth-factor", "invalid",
                        "must be between 0 (ignore the bandwidth limit) and 100");
            }
        }
    }

    private static void validateHost(HostEntry h, String prefix, Map<String, Integer> seen, int index, Errors errors) {
        if (h.name == null || !HOST_NAME.matcher(h.name).matches()) {
            errors.rejectValue(prefix + ".name", "invalid",
                    "'" + h.name + "' is not a host name (letters, digits, '_', '.', '-'; at most 64)");
        } else {
            Integer first = seen.putIfAbsent(h.name, index);
            if (first != null) {
                errors.rejectValue(prefix + ".name", "duplicate",
                        "duplicate host name '" + h.name + "' (also hosts[" + first + "])");
            }
        }
        try {
            IpLiteral.parse(h.address);
        } catch (IllegalArgumentException e) {
            errors.rejectValue(prefix + ".address", "invalid", e.getMessage());
        }
        requireAbsolute(h.stateDir, prefix + ".state-dir", errors);
        requireAbsolute(h.storageDir, prefix + ".storage-dir", errors);
        if (h.imageDirs != null) {
            if (h.imageDirs.isEmpty()) {
                errors.rejectValue(prefix + ".image-dirs", "required",
                        "must list at least one folder (leave it out for the storage-dir)");
            }
            for (int i = 0; i < h.imageDirs.size(); i++) {
                requireAbsolute(h.imageDirs.get(i), prefix + ".image-dirs[" + i + "]", errors);
                if (h.imageDirs.get(i) != null && Path.of(h.imageDirs.get(i)).normalize().getNameCount() == 0) {
                    errors.rejectValue(prefix + ".image-dirs[" + i + "]", "invalid",
                            "'/' would allow every file of the host as a disk");
                }
            }
        }
        if (h.qemuWrapper != null && h.qemuWrapper.stream().anyMatch(a -> a == null || a.isBlank())) {
            errors.rejectValue(prefix + ".qemu-wrapper", "invalid", "must not contain empty arguments");
        }
        if (h.accelerator != null && !ACCELERATORS.contains(h.accelerator)) {
            errors.rejectValue(prefix + ".accelerator", "invalid",
                    "'" + h.accelerator + "' is not one of " + String.join(", ", ACCELERATORS));
        }
        if (h.ssh != null) {
            validateSsh(h.ssh, prefix + ".ssh", errors);
        }
        if (h.tls != null) {
            requireAbsolute(h.tls.ca, prefix + ".tls.ca", errors);
            requireAbsolute(h.tls.cert, prefix + ".tls.cert", errors);
            requireAbsolute(h.tls.key, prefix + ".tls.key", errors);
        }
    }

    private static void validateSsh(SshEntry s, String prefix, Errors errors) {
        if (s.host != null && !SSH_HOST.matcher(s.host).matches()) {
            errors.rejectValue(prefix + ".host", "invalid", "'" + s.host + "' is not a host name or address");
        }
        if (s.port != null && (s.port < 1 || s.port > 65535)) {
            errors.rejectValue(prefix + ".port", "invalid", s.port + " is not a TCP port (1-65535)");
        }
        if (s.user != null && !SSH_USER.matcher(s.user).matches()) {
            errors.rejectValue(prefix + ".user", "invalid", "'" + s.user + "' is not a user name");
        }
        requireAbsolute(s.identityFile, prefix + ".identity-file", errors);
        requireAbsolute(s.knownHosts, prefix + ".known-hosts", errors);
    }

    private static void requireAbsolute(String path, String field, Errors errors) {
        if (path == null || path.isBlank()) {
            errors.rejectValue(field, "required", "is required");
        } else if (!Path.of(path).isAbsolute()) {
            errors.rejectValue(field, "relative", "'" + path + "' is not an absolute path");
        }
    }

    private static void requireText(String value, String field, Errors errors) {
        if (value == null || value.isBlank()) {
            errors.rejectValue(field, "required", "must not be empty");
        }
    }

    private static void requirePositive(Duration d, String field, Errors errors) {
        if (d == null || d.isNegative() || d.isZero()) {
            errors.rejectValue(field, "invalid", "must be a positive duration");
        }
    }
}
