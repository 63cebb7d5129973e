package io.nbdflow.domain;

import io.nbdflow.host.FileTail;
import io.nbdflow.host.Host;
import io.nbdflow.host.Hosts;
import io.nbdflow.host.QemuInstance;

import org.springframework.stereotype.Service;

/**
 * A domain's serial console: the end of its console.log on the host it runs on (during a
 * migration, the source). A domain without a QEMU has none: stopping a domain removes its folder,
 * console.log with it, so the text is then empty.
 */
@Service
public class DomainConsole {

    public static final int DEFAULT_KIB = 64;
    public static final int MAX_KIB = 1024;

    private final DomainRepository repository;
    private final Hosts hosts;

    public DomainConsole(DomainRepository repository, Hosts hosts) {
        this.repository = repository;
        this.hosts = hosts;
    }

    /** The last {@code kib} KiB (null: {@value #DEFAULT_KIB}) of the domain's console, as text. */
    public String tail(String name, String kib) {
        long maxBytes = 1024L * kib(kib);
        DomainDefinition d = repository.find(name).orElseThrow(() -> new DomainNotFoundException(name));
        Host host = hosts.get(d.host());
        return hosts.connection(host).readTail(QemuInstance.of(d.name(), host, 0).consoleFile(), maxBytes)
                .map(FileTail::text).orElse("");
    }

    private static int kib(String value) {
        if (value == null) {
            return DEFAULT_KIB;
        }
        int kib;
        try {
            kib = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new DomainValidationException("kib", DomainService.quote(value) + " is not a whole number");
        }
        if (kib < 1 || kib > MAX_KIB) {
            throw new DomainValidationException("kib", kib + " is not within 1.." + MAX_KIB);
        }
        return kib;
    }
}
