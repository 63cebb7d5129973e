package io.nbdflow.process;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.migration.CookieXml;
import io.nbdflow.migration.CopyStorage;
import io.nbdflow.migration.DiskPlan;
import io.nbdflow.migration.DiskSelection;
import io.nbdflow.migration.GuestWriteRate;
import io.nbdflow.migration.MigrationCookie;
import io.nbdflow.migration.MigrationRefusedException;
import io.nbdflow.migration.MigrationRequest;
import io.nbdflow.migration.MigrationStepException;
import io.nbdflow.migration.PlannedDisk;
import io.nbdflow.migration.StorageTransport;
import org.camunda.bpm.engine.delegate.VariableScope;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The one translation between a migration's typed records and its process variables. Every value
 * is stored as a plain value (string, number, boolean) or as JSON text, never as serialized Java,
 * so Cockpit shows it as it is and any version of the application can read it.
 */
public final class MigrationVariables {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<PlannedDisk>> PLAN = new TypeReference<>() { };
    private static final TypeReference<List<String>> FILES = new TypeReference<>() { };

    private final Function<String, Object> reader;
    private final BiConsumer<String, Object> writer;

    MigrationVariables(Function<String, Object> reader, BiConsumer<String, Object> writer) {
        this.reader = reader;
        this.writer = writer;
    }

    /** The variables of an execution (or task), to read and write. */
    public static MigrationVariables of(VariableScope scope) {
        return new MigrationVariables(scope::getVariable, scope::setVariable);
    }

    /** Variables already fetched (from the runtime or the history), to read only. */
    public static MigrationVariables of(Map<String, ?> values) {
        return new MigrationVariables(values::get, (name, value) -> {
            throw new UnsupportedOperationException("read-only variables: cannot set " + name);
        });
    }

    // ---- the request

    /**
     * Writes the request's checked values down in their plain form (a flag not given becomes false,
     * the bandwidth a Long in MiB/s, copyStorage its lower-case word): the gateways and Cockpit see
     * what the migration runs with. The inputs the check only strips stay as given.
     */
    public void writeRequest(MigrationRequest request) {
        writer.accept(Vars.TUNNELLED, request.tunnelled());
        writer.accept(Vars.APPROVE_SWITCHOVER, request.approveSwitchover());
        writer.accept(Vars.KEEP_SOURCE_DISKS, request.keepSourceDisks());
        writer.accept(Vars.BANDWIDTH_MIBPS, request.bandwidthMiBps());
        writer.accept(Vars.COPY_STORAGE, request.copyStorage().value());
        writer.accept(Vars.MIRROR_COPY_MODE, request.mirrorCopyMode().value());
        writer.accept(Vars.MAX_DOWNTIME_MS, request.maxDowntimeMs());
        writer.accept(Vars.AUTO_CONVERGE, request.autoConverge());
        writer.accept(Vars.STALL_TIMEOUT_SECONDS, request.stallTimeoutSeconds());
        if (request.requireTls() != null) {
            writer.accept(Vars.REQUIRE_TLS, request.requireTls());
        }
    }

    /**
     * The request as {@link #writeRequest} left it, checked again: any user of the engine API may
     * have changed a variable since, and a value the first step would have refused fails the step
     * that reads it (MigrationStepException naming the field): nothing runs on a value nobody checked.
     */
    public MigrationRequest request() {
        try {
            return MigrationRequest.parse(reader::apply);
        } catch (MigrationRefusedException e) {
            throw new MigrationStepException("a process variable was changed to a value the migration refuses: "
                    + e.getMessage());
        }
    }

    /** Whether the source's copies stay after the migration; read on its own, past the switchover. */
    public boolean keepSourceDisks() {
        return Boolean.TRUE.equals(reader.apply(Vars.KEEP_SOURCE_DISKS));
    }

    public String domain() {
        return string(Vars.DOMAIN);
    }

    // ---- what Inspect source decided

    public void writeSourceHost(String host) {
        writer.accept(Vars.SOURCE_HOST, host);
    }

    public void writePlan(DiskPlan plan) {
        writer.accept(Vars.DISK_PLAN, planJson(plan));
    }

    /** The plan as JSON text, as {@link #writePlan} stores it and the migration's records keep it. */
    public static String planJson(DiskPlan plan) {
        return toJson(plan.disks());
    }

    /** The plan that {@link #planJson} wrote. */
    public static DiskPlan planOf(String json) {
        return new DiskPlan(fromJson(Vars.DISK_PLAN, json, PLAN));
    }

    public DiskPlan plan() {
        String json = string(Vars.DISK_PLAN);
        if (json == null) {
            throw new IllegalStateException("process variable '" + Vars.DISK_PLAN + "' is missing");
        }
        return new DiskPlan(fromJson(Vars.DISK_PLAN, json, PLAN));
    }

    /** The targets to copy, in the domain's order; none before the disks are planned. */
    public List<String> targetsToCopy() {
        return reader.apply(Vars.DISK_PLAN) == null ? List.of() : plan().targetsToCopy();
    }

    public void writeTransport(StorageTransport transport) {
        writer.accept(Vars.STORAGE_TRANSPORT, transport.value());
    }

    public StorageTransport transport() {
        return StorageTransport.fromValue(string(Vars.STORAGE_TRANSPORT));
    }

    public void writeNbdPort(int port) {
        writer.accept(Vars.NBD_PORT, port);
    }

    public int nbdPort() {
        return intValue(Vars.NBD_PORT);
    }

    public void writeMigrationPort(int port) {
        writer.accept(Vars.MIGRATION_PORT, port);
    }

    public int migrationPort() {
        return intValue(Vars.MIGRATION_PORT);
    }

    /** How long the waits for steady state and for the switchover point may last (an ISO-8601 duration). */
    public void writeConvergenceTimeout(Duration timeout) {
        writer.accept(Vars.CONVERGENCE_TIMEOUT, timeout.toString());
    }

    /** The guest's written bytes per disk, read when the source was inspected (for the mirrors' copy mode). */
    public void writeGuestWrites(GuestWriteRate.Snapshot snapshot) {
        writer.accept(Vars.GUEST_WRITES_AT_INSPECTION, toJson(snapshot));
    }

    /**
     * What {@link #writeGuestWrites} wrote; empty if absent or unreadable: it only spares the mirror
     * step a measurement of its own, which it makes when this is missing.
     */
    public Optional<GuestWriteRate.Snapshot> guestWrites() {
        String json = string(Vars.GUEST_WRITES_AT_INSPECTION);
        try {
            return json == null ? Optional.empty() : Optional.of(JSON.readValue(json, GuestWriteRate.Snapshot.class));
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    // ---- the cookies

    public void writeBeginCookie(MigrationCookie cookie) {
        writer.accept(Vars.COOKIE_BEGIN, CookieXml.write(cookie));
    }

    /** The source's cookie, read as a destination reads it. @throws io.nbdflow.migration.CookieException */
    public MigrationCookie beginCookie() {
        return CookieXml.parse(string(Vars.COOKIE_BEGIN));
    }

    public void writePrepareCookie(MigrationCookie cookie) {
        writer.accept(Vars.COOKIE_PREPARE, CookieXml.write(cookie));
    }

    // ---- what Pre-create disks created

    public void writeCreatedFiles(List<Path> files) {
        writer.accept(Vars.CREATED_FILES, toJson(files.stream().map(Path::toString).toList()));
    }

    /** The files Pre-create disks created; none if it has not (or created nothing). */
    public List<Path> createdFiles() {
        String json = string(Vars.CREATED_FILES);
        if (json == null) {
            return List.of();
        }
        return fromJson(Vars.CREATED_FILES, json, FILES).stream().map(Path::of).toList();
    }

    // ---- plain values

    private String string(String name) {
        Object v = reader.apply(name);
        return v == null ? null : v.toString();
    }

    private long longValue(String name, long fallback) {
        return reader.apply(name) instanceof Number n ? n.longValue() : fallback;
    }

    private int intValue(String name) {
        if (!(reader.apply(name) instanceof Number n)) {
            throw new IllegalStateException("process variable '" + name + "' is missing");
        }
        return n.intValue();
    }

    private static String toJson(Object value) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T fromJson(String name, String json, TypeReference<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable process variable '" + name + "': " + e.getOriginalMessage(), e);
        }
    }
}
