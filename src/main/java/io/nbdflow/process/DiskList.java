package io.nbdflow.process;

import org.springframework.stereotype.Component;

import java.util.Arrays;
import java.util.List;

/**
 * Turns the comma-separated {@code disksToCopy} variable into the multi-instance collection of
 * "Mirror disks", so the variable itself stays a plain string (no serialized Java list).
 */
@Component("diskList")
public class DiskList {
    public List<String> of(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return List.of();
        }
        return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
