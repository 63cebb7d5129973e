package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;

/** What {@code query-migrate} says; figures are absent (0) before QEMU reports them. */
public record MigrationStatus(String status, long transferred, long remaining, long total,
                              long downtimeMs, long totalTimeMs, String errorDesc, long diskTransferred,
                              long diskRemaining) {

    static MigrationStatus from(JsonNode r) {
        JsonNode ram = r.path("ram");
        return new MigrationStatus(r.path("status").asText("none"),
                ram.path("transferred").asLong(), ram.path("remaining").asLong(), ram.path("total").asLong(),
                r.path("downtime").asLong(), r.path("total-time").asLong(),
                r.hasNonNull("error-desc") ? r.get("error-desc").asText() : null,
                r.path("disk").path("transferred").asLong(), r.path("disk").path("remaining").asLong());
    }

    public boolean isActive() {
        return switch (status) {
            case "setup", "active", "pre-switchover", "device", "postcopy-active", "cancelling",
                 "wait-unplug", "colo" -> true;
            default -> false;
        };
    }

    public boolean hasFailed() {
        return status.equals("failed") || status.equals("cancelled");
    }
}
