package io.nbdflow.migration;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class ConvergenceTimeoutTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final Duration MIN = Duration.ofSeconds(60);

    private static ConvergenceTimeout.Policy policy(long secondsPerGib, double bandwidthFactor) {
        return new ConvergenceTimeout.Policy(MIN, secondsPerGib, bandwidthFactor);
    }

    @Test
    void smallCopiesGetTheMinimum() {
        assertThat(ConvergenceTimeout.of(256 * MIB, 0, policy(120, 2))).isEqualTo(MIN);
    }

    @Test
    void growsWithTheData() {
        assertThat(ConvergenceTimeout.of(10 * GIB, 0, policy(120, 2))).isEqualTo(Duration.ofSeconds(1200));
        assertThat(ConvergenceTimeout.of(GIB + 1, 0, policy(120, 2))).isEqualTo(Duration.ofSeconds(121));
    }

    @Test
    void aBandwidthLimitAllowsTwiceTheTimeItImposes() {
        // 10 GiB at 5 MiB/s take 2048 s: the per-GiB figure (1200 s) alone would cut it off
        assertThat(ConvergenceTimeout.of(10 * GIB, 5 * MIB, policy(120, 2))).isEqualTo(Duration.ofSeconds(4096));
        // a generous limit changes nothing
        assertThat(ConvergenceTimeout.of(10 * GIB, 1024 * MIB, policy(120, 2))).isEqualTo(Duration.ofSeconds(1200));
        // configurable, 0 ignores the limit
        assertThat(ConvergenceTimeout.of(10 * GIB, 5 * MIB, policy(120, 3))).isEqualTo(Duration.ofSeconds(6144));
        assertThat(ConvergenceTimeout.of(10 * GIB, 5 * MIB, policy(120, 0))).isEqualTo(Duration.ofSeconds(1200));
    }
}
