package io.nbdflow.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * An asynchronous QMP event, e.g. {@code STOP} or {@code BLOCK_JOB_READY}.
 *
 * @param data      the event's "data" member; an empty object when QEMU sent none
 * @param timestamp when QEMU emitted it (QEMU's clock)
 */
public record QmpEvent(String name, JsonNode data, Instant timestamp) {
}
