package io.nbdflow.process;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbdflow.host.DiskDefinition;
import org.camunda.bpm.engine.delegate.VariableScope;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The disk plan and the list of created files live in process variables as JSON text (readable in Cockpit). */
public final class DiskPlanVariable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DiskPlanVariable() {
    }

    public static List<PlannedDisk> read(VariableScope scope) {
        return fromJson(Vars.string(scope, Vars.DISK_PLAN), new TypeReference<>() { });
    }

    public static void write(VariableScope scope, List<PlannedDisk> disks) {
        scope.setVariable(Vars.DISK_PLAN, toJson(disks));
    }

    public static List<PlannedDisk> toCopy(VariableScope scope) {
        return read(scope).stream().filter(PlannedDisk::copy).toList();
    }

    /** The domain's disks as they are on the destination: copies at their new paths, shared disks unchanged. */
    public static List<DiskDefinition> destinationDisks(VariableScope scope) {
        return read(scope).stream()
                .map(d -> new DiskDefinition(d.target(), d.destinationFile(), d.format(), d.readonly())).toList();
    }

    public static List<Path> createdFiles(VariableScope scope) {
        String json = Vars.string(scope, Vars.CREATED_FILES);
        if (json == null) {
            return List.of();
        }
        List<String> names = fromJson(json, new TypeReference<>() { });
        return names.stream().map(Path::of).toList();
    }

    public static void writeCreatedFiles(VariableScope scope, List<Path> files) {
        List<String> names = new ArrayList<>();
        files.forEach(f -> names.add(f.toString()));
        scope.setVariable(Vars.CREATED_FILES, toJson(names));
    }

    static String toJson(Object value) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T fromJson(String json, TypeReference<T> type) {
        if (json == null) {
            throw new IllegalStateException("process variable missing");
        }
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable process variable: " + e.getOriginalMessage(), e);
        }
    }
}
