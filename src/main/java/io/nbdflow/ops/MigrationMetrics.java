package io.nbdflow.ops;

import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nbdflow.process.Vars;

import org.springframework.stereotype.Component;

/**
 * The migration meters (Micrometer, served at /actuator/metrics):
 * <ul>
 * <li>nbdflow.migrations.started: migrations started;</li>
 * <li>nbdflow.migrations.ended, tag outcome (migrated, rolled-back, refused; cancelled when an
 *     instance was deleted before it had one);</li>
 * <li>nbdflow.migration.duration, tag outcome: from start to end;</li>
 * <li>nbdflow.migration.bytes.mirrored: bytes the disk mirrors copied (migrated instances);</li>
 * <li>nbdflow.migration.downtime: the guest's pause at switchover (migrated instances).</li>
 * </ul>
 * The three outcomes are registered at once, so they read 0 before the first migration.
 */
@Component
public class MigrationMetrics {

    static final String STARTED = "nbdflow.migrations.started";
    static final String ENDED = "nbdflow.migrations.ended";
    static final String DURATION = "nbdflow.migration.duration";
    static final String BYTES_MIRRORED = "nbdflow.migration.bytes.mirrored";
    static final String DOWNTIME = "nbdflow.migration.downtime";
    static final String OUTCOME_CANCELLED = "cancelled";

    private final MeterRegistry registry;
    private final Counter started;
    private final DistributionSummary bytesMirrored;
    private final Timer downtime;

    public MigrationMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.started = Counter.builder(STARTED).description("storage migrations started").register(registry);
        this.bytesMirrored = DistributionSummary.builder(BYTES_MIRRORED).baseUnit("bytes")
                .description("bytes copied by the disk mirrors of a migration").register(registry);
        this.downtime = Timer.builder(DOWNTIME).description("guest downtime at switchover").register(registry);
        for (String outcome : List.of(Vars.OUTCOME_MIGRATED, Vars.OUTCOME_ROLLED_BACK, Vars.OUTCOME_REFUSED)) {
            ended(outcome);
            duration(outcome);
        }
    }

    public void started() {
        started.increment();
    }

    /**
     * One migration ended.
     *
     * @param durationMs from start to end, or null if unknown
     * @param bytesMirrored and downtimeMs: null when the migration has no such figure
     */
    public void ended(String outcome, Long durationMs, Long bytesMirrored, Long downtimeMs) {
        ended(outcome).increment();
        if (durationMs != null && durationMs >= 0) {
            duration(outcome).record(Duration.ofMillis(durationMs));
        }
        if (bytesMirrored != null && bytesMirrored >= 0) {
            this.bytesMirrored.record(bytesMirrored);
        }
        if (downtimeMs != null && downtimeMs >= 0) {
            downtime.record(Duration.ofMillis(downtimeMs));
        }
    }

    private Counter ended(String outcome) {
        return Counter.builder(ENDED).description("storage migrations ended, by outcome")
                .tag("outcome", outcome).register(registry);
    }

    private Timer duration(String outcome) {
        return Timer.builder(DURATION).description("storage migrations from start to end, by outcome")
                .tag("outcome", outcome).register(registry);
    }
}
