package io.nbdflow.migration;

import com.fasterxml.jackson.databind.JsonNode;

/** One entry of {@code query-block-jobs}. */
public record BlockJob(String id, String type, String status, long offset, long length, boolean ready, String error) {

    static BlockJob from(JsonNode j) {
        String id = j.hasNonNull("id") ? j.get("id").asText() : j.path("device").asText();
        return new BlockJob(id, j.path("type").asText(), j.path("status").asText(),
                j.path("offset").asLong(), j.path("len").asLong(), j.path("ready").asBoolean(),
                j.hasNonNull("error") ? j.get("error").asText() : null);
    }
}
