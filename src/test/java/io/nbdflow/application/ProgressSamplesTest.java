package io.nbdflow.application;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProgressSamplesTest {

    @Test
    void aMirrorsLengthIsRememberedUntilTheMigrationIsForgotten() {
        ProgressSamples samples = new ProgressSamples();
        ProgressSamples.Tracker tracker = samples.of("m1");
        assertThat(tracker.mirrorLength("vda")).isEmpty();

        tracker.mirrorLength("vda", 96L << 20);
        tracker.mirrorLength("vda", 97L << 20); // a guest write grew what the mirror copies

        assertThat(samples.of("m1").mirrorLength("vda")).isEqualTo(OptionalLong.of(97L << 20));
        assertThat(samples.of("m1").mirrorLength("vdb")).isEmpty();
        samples.forget("m1");
        assertThat(samples.of("m1").mirrorLength("vda")).isEmpty();
    }

    @Test
    void atMostSoManyMigrationsAreKept() {
        ProgressSamples samples = new ProgressSamples();
        for (int i = 0; i <= ProgressSamples.MAX_MIGRATIONS; i++) {
            samples.of("m" + i);
        }
        assertThat(samples.size()).isEqualTo(ProgressSamples.MAX_MIGRATIONS);
    }
}
