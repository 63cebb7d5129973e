package io.nbdflow.domain;

import io.nbdflow.host.DiskDefinition;
import io.nbdflow.host.DiskNames;
import io.nbdflow.host.VmNames;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;

import io.nbdflow.host.Accelerator;
import io.nbdflow.host.DiskAttachment;
import io.nbdflow.host.Host;
import io.nbdflow.host.HostMachines;
import io.nbdflow.host.Hosts;
import io.nbdflow.host.Machine;
import io.nbdflow.host.ImageInfo;
import io.nbdflow.host.LaunchRequest;
import io.nbdflow.host.Monitors;
import io.nbdflow.config.NbdflowProperties;
import io.nbdflow.host.QemuInstance;
import io.nbdflow.host.QemuLauncher;
import io.nbdflow.host.QemuProcesses;
import io.nbdflow.host.Storage;
import io.nbdflow.host.StorageException;
import io.nbdflow.qmp.QmpException;

import org.springframework.stereotype.Service;

/** Define, start, stop and inspect domains. State comes from QEMU itself, never from memory. */
@Service
public class DomainService {

    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(5);

    private final DomainRepository repository;
    private final Hosts hosts;
    private final Storage storage;
    private final QemuLauncher launcher;
    private final QemuProcesses processes;
    private final Monitors monitors;
    private final HostMachines machines;
    private final Duration stopGrace;
    /** One lock per domain name: define, start and stop of one domain never interleave. */
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public DomainService(DomainRepository repository, Hosts hosts, Storage storage, QemuLauncher launcher,
                         QemuProcesses processes, Monitors monitors, HostMachines machines,
                         NbdflowProperties properties) {
        this.machines = machines;
        this.repository = repository;
        this.hosts = hosts;
        this.storage = storage;
        this.launcher = launcher;
        this.processes = processes;
        this.monitors = monitors;
        this.stopGrace = properties.migration().qemuStopTimeout();
    }

    /** Defines the domain, or redefines it while it is shut off (its uuid stays). */
    public DomainView define(String name, DefineRequest request) {
        validateName(name);
        if (request == null) {
            throw new DomainValidationException("body", "a JSON definition is required");
        }
        Host host = validateHost(request.host());
        int memory = validateRange(request.memoryMiB(), "memoryMiB", 16, 65536);
        int vcpus = validateRange(request.vcpus(), "vcpus", 1, 64);
        List<DiskDefinition> disks = validateDisks(host, request.disks());
        synchronized (lock(name)) {
            Optional<DomainDefinition> existing = repository.find(name);
            if (existing.isPresent()) {
                DomainState state = state(existing.get());
                if (state != DomainState.SHUTOFF) {
                    throw new DomainConflictException("domain '" + name + "' is " + state.json()
                            + "; it can be redefined only while shut off");
                }
            }
            String uuid = existing.map(DomainDefinition::uuid).orElseGet(() -> UUID.randomUUID().toString());
            // a redefinition keeps the machine type: the guest's hardware does not change under it
            DomainDefinition d = new DomainDefinition(name, host.name(), memory, vcpus, uuid, disks,
                    existing.map(DomainDefinition::machineType).orElse(null));
            repository.save(d);
            return view(d, DomainState.SHUTOFF);
        }
    }

    /** Starts the domain's QEMU on its host, disks attached as named -drive backends. */
    public DomainView start(String name) {
        synchronized (lock(name)) {
            DomainDefinition d = definition(name);
            DomainState state = state(d);
            if (state != DomainState.SHUTOFF) {
                throw new DomainConflictException("domain '" + name + "' is already " + state.json());
            }
            requireDisksInImageDirs(d);
            Host host = hosts.get(d.host());
            Machine machine = machines.forDomain(host, d.machineType());
            if (d.machineType() == null) {
                d = d.withMachineType(machine.type());
                repository.save(d);
            }
            launcher.launch(new LaunchRequest(d.vm(), host, machine, DiskAttachment.DRIVE, false));
            return view(d, state(d));
        }
    }

    /** Ends the domain's QEMU (QMP quit, SIGKILL after the grace period); a shut off domain stays so. */
    public DomainView stop(String name) {
        synchronized (lock(name)) {
            DomainDefinition d = definition(name);
            if (repository.migrationOf(name).isPresent()) {
                throw new DomainConflictException("domain '" + name + "' is migrating; abort the migration first");
            }
            processes.find(hosts.get(d.host()), name).ifPresent(q -> processes.stop(q, stopGrace));
            return view(d, DomainState.SHUTOFF);
        }
    }

    public DomainView get(String name) {
        DomainDefinition d = definition(name);
        return view(d, state(d));
    }

    public List<DomainView> list() {
        return repository.all().stream().map(d -> view(d, state(d))).toList();
    }

    /**
     * migrating while a migration holds the domain; otherwise what its QEMU reports
     * (running, or paused for any other run state); shutoff when no QEMU lives.
     */
    public DomainState state(DomainDefinition d) {
        if (repository.migrationOf(d.name()).isPresent()) {
            return DomainState.MIGRATING;
        }
        Optional<Host> host = hosts.find(d.host());
        Optional<QemuInstance> qemu = host.flatMap(h -> processes.find(h, d.name()));
        if (qemu.isEmpty()) {
            return DomainState.SHUTOFF;
        }
        try {
            JsonNode status = monitors.get(qemu.get()).execute("query-status", null, STATUS_TIMEOUT);
            return "running".equals(status.path("status").asText()) ? DomainState.RUNNING : DomainState.PAUSED;
        } catch (QmpException e) {
            if (!processes.isAlive(host.get(), qemu.get().pid())) {
                return DomainState.SHUTOFF; // it exited while we asked
            }
            throw new DomainUnavailableException("the monitor of domain '" + d.name() + "' does not answer: "
                    + e.getMessage(), e);
        }
    }

    private DomainDefinition definition(String name) {
        return repository.find(name).orElseThrow(() -> new DomainNotFoundException(name));
    }

    private Object lock(String name) {
        return locks.computeIfAbsent(name, n -> new Object());
    }

    private DomainView view(DomainDefinition d, DomainState state) {
        Optional<Host> host = hosts.find(d.host());
        List<DomainView.DiskView> disks = d.disks().stream().map(disk -> diskView(host, disk)).toList();
        return new DomainView(d.name(), d.host(), state, d.uuid(), d.memoryMiB(), d.vcpus(), disks, d.machineType(),
                accelerator(host, d.name(), state));
    }

    /**
     * The running QEMU's accelerator (query-kvm), else the host's; null if neither answers now. A
     * migrating domain's monitor is left to the migration: its host's accelerator is the same.
     */
    private String accelerator(Optional<Host> host, String name, DomainState state) {
        if (host.isEmpty()) {
            return null;
        }
        try {
            Optional<QemuInstance> qemu = state == DomainState.RUNNING || state == DomainState.PAUSED
                    ? processes.find(host.get(), name) : Optional.empty();
            if (qemu.isPresent()) {
                boolean kvm = monitors.get(qemu.get()).execute("query-kvm", null, STATUS_TIMEOUT)
                        .path("enabled").asBoolean(false);
                return HostMachines.word(kvm ? Accelerator.KVM : Accelerator.TCG);
            }
            return HostMachines.word(machines.accelerator(host.get()));
        } catch (QmpException | RuntimeException e) {
            return null; // the monitor is busy or the host's QEMU cannot be asked: the view still shows the rest
        }
    }

    private DomainView.DiskView diskView(Optional<Host> host, DiskDefinition disk) {
        Long capacity = null;
        Long allocation = null;
        try {
            if (host.isPresent()) {
                ImageInfo info = storage.info(host.get(), Path.of(disk.file()));
                capacity = info.virtualSize();
                allocation = info.actualSize();
            }
        } catch (StorageException e) {
            // the file went away or is unreadable: show the disk without figures
        }
        return new DomainView.DiskView(disk.target(), disk.file(), disk.format(), disk.readonly(), capacity,
                allocation);
    }

    /** Checked again before QEMU opens them: a link may have been pointed elsewhere since the definition. */
    private void requireDisksInImageDirs(DomainDefinition d) {
        Host host = hosts.get(d.host());
        for (int i = 0; i < d.disks().size(); i++) {
            if (!hosts.inImageDirs(host, Path.of(d.disks().get(i).file()))) {
                throw new DomainValidationException("disks[" + i + "].file", quote(d.disks().get(i).file())
                        + " is not a file inside the image-dirs of host '" + host.name() + "' (any more)");
            }
        }
    }

    // --- validation: each failure names the offending field

    private static void validateName(String name) {
        if (!VmNames.isValid(name)) {
            throw new DomainValidationException("name", quote(name)
                    + " is not a domain name (letter or digit, then letters, digits, '_', '.', '-'; at most 64)");
        }
    }

    private Host validateHost(String host) {
        if (host == null || host.isBlank()) {
            throw new DomainValidationException("host", "is required");
        }
        return hosts.find(host).orElseThrow(() -> new DomainValidationException("host",
                "unknown host " + quote(host) + "; configured: "
                        + String.join(", ", hosts.all().stream().map(Host::name).toList())));
    }

    private static int validateRange(Integer value, String field, int min, int max) {
        if (value == null) {
            throw new DomainValidationException(field, "is required");
        }
        if (value < min || value > max) {
            throw new DomainValidationException(field, value + " is not within " + min + ".." + max);
        }
        return value;
    }

    /** The disks as given, their files checked on the domain's host. */
    private List<DiskDefinition> validateDisks(Host host, List<DiskDefinition> disks) {
        if (disks == null || disks.isEmpty()) {
            throw new DomainValidationException("disks", "at least one disk is required");
        }
        Map<String, Integer> targets = new HashMap<>();
        Map<Path, Integer> files = new HashMap<>();
        List<DiskDefinition> result = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            String field = "disks[" + i + "]";
            DiskDefinition disk = disks.get(i);
            if (disk == null) {
                throw new DomainValidationException(field, "must be an object");
            }
            if (!DiskNames.isTarget(disk.target())) {
                throw new DomainValidationException(field + ".target",
                        quote(disk.target()) + " does not match vd[a-z]+");
            }
            Integer sameTarget = targets.putIfAbsent(disk.target(), i);
            if (sameTarget != null) {
                throw new DomainValidationException(field + ".target",
                        "duplicate target " + quote(disk.target()) + " (also disks[" + sameTarget + "])");
            }
            if (!DiskNames.isFormat(disk.format())) {
                throw new DomainValidationException(field + ".format",
                        quote(disk.format()) + " is not a supported format (qcow2, raw)");
            }
            Path file = validateFile(host, disk.file(), field + ".file");
            Integer sameFile = files.putIfAbsent(file, i);
            if (sameFile != null) {
                throw new DomainValidationException(field + ".file",
                        quote(disk.file()) + " is already disks[" + sameFile + "]");
            }
            validateFormat(host, file, disk.format(), field + ".format");
            result.add(new DiskDefinition(disk.target(), file.toString(), disk.format(), disk.readonly()));
        }
        return result;
    }

    private Path validateFile(Host host, String file, String field) {
        if (file == null || file.isBlank()) {
            throw new DomainValidationException(field, "is required");
        }
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw new DomainValidationException(field, quote(file) + " is not a path");
        }
        if (!path.isAbsolute()) {
            throw new DomainValidationException(field, quote(file) + " is not an absolute path");
        }
        path = path.normalize();
        if (!hosts.connection(host).exists(path)) {
            throw new DomainValidationException(field, quote(file) + " does not exist");
        }
        if (!hosts.connection(host).isRegularFile(path)) {
            throw new DomainValidationException(field, quote(file) + " is not a regular file");
        }
        // a disk is opened read-write by QEMU running as root: only images from the host's own folders,
        // links resolved, so that no host file (/etc/passwd ...) becomes a guest's disk
        if (!hosts.inImageDirs(host, path)) {
            throw new DomainValidationException(field, quote(file) + " is outside the image-dirs of host '"
                    + host.name() + "' (" + String.join(", ", host.imageDirs().stream().map(Path::toString).toList())
                    + "), links resolved");
        }
        return path;
    }

    /** An input value as an error message quotes it: at most 64 characters, so no answer echoes a huge input. */
    static String quote(String value) {
        if (value == null) {
            return "null";
        }
        return "'" + (value.length() > 64 ? value.substring(0, 64) + "...' (" + value.length() + " characters)"
                : value + "'");
    }

    /** A raw declaration for a qcow2 image would hand the guest the image's metadata: refuse it. */
    private void validateFormat(Host host, Path file, String declared, String field) {
        ImageInfo info;
        try {
            info = storage.info(host, file);
        } catch (StorageException e) {
            throw new DomainValidationException(field, "cannot read the image: " + e.getMessage());
        }
        if (!declared.equals(info.format())) {
            throw new DomainValidationException(field, "'" + declared + "' but the image is " + info.format());
        }
    }
}
