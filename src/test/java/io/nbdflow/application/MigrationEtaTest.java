package io.nbdflow.application;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalDouble;

import static io.nbdflow.application.MigrationEta.AFTER_RAM_SECONDS;
import static io.nbdflow.application.MigrationEta.Stage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MigrationEtaTest {
    private static final long MIB = 1L << 20;
    private static final OptionalDouble NONE = OptionalDouble.empty();

    private static OptionalDouble mibps(double r) {
        return OptionalDouble.of(r * MIB);
    }

    @Test
    void disksCopySideBySideSoTheSlowestOneDecidesThenTheRamAndTheSwitchover() {
        List<MigrationEta.DiskLeft> disks = List.of(new MigrationEta.DiskLeft(40 * MIB, mibps(4)),
                new MigrationEta.DiskLeft(8 * MIB, mibps(8)), new MigrationEta.DiskLeft(0, NONE));
        MigrationEta.Estimate e = MigrationEta.estimate(Stage.MIRROR, null, 0, disks,
                new MigrationEta.RamLeft(16 * MIB, NONE), 8 * MIB);

        assertThat(e.phaseSeconds()).isCloseTo(10.0, within(1e-9));
        // the RAM goes at the limit before its own pace was seen
        assertThat(e.totalSeconds()).isCloseTo(10 + 2 + AFTER_RAM_SECONDS, within(1e-9));
    }

    @Test
    void withoutALimitTheDisksRateIsUsedBeforeAnyIsSeenNothingIsGuessed() {
        List<MigrationEta.DiskLeft> unseen = List.of(new MigrationEta.DiskLeft(40 * MIB, NONE));
        assertThat(MigrationEta.estimate(Stage.MIRROR, null, 0, unseen, new MigrationEta.RamLeft(MIB, NONE), 0))
                .isEqualTo(MigrationEta.Estimate.UNKNOWN);

        List<MigrationEta.DiskLeft> seen = List.of(new MigrationEta.DiskLeft(40 * MIB, mibps(20)),
                new MigrationEta.DiskLeft(0, mibps(20)));
        MigrationEta.Estimate e = MigrationEta.estimate(Stage.MIRROR, null, 0, seen,
                new MigrationEta.RamLeft(80 * MIB, NONE), 0);
        assertThat(e.phaseSeconds()).isCloseTo(2.0, within(1e-9));
        // the RAM crosses the same link as both mirrors together
        assertThat(e.totalSeconds()).isCloseTo(2 + 2 + AFTER_RAM_SECONDS, within(1e-9));
    }

    @Test
    void theRamPhaseGoesByTheRamsOwnPaceAndTheSwitchoverCountsDown() {
        MigrationEta.Estimate ram = MigrationEta.estimate(Stage.RAM, "Task_WaitSwitchoverPoint", 0, List.of(),
                new MigrationEta.RamLeft(30 * MIB, mibps(60)), 8 * MIB);
        assertThat(ram.phaseSeconds()).isCloseTo(0.5, within(1e-9));
        // the step that started the RAM is done: three of the four steps after the sync are left
        assertThat(ram.totalSeconds()).isCloseTo(0.5 + AFTER_RAM_SECONDS * 3 / 4, within(1e-9));

        // counted down a quarter per step, half of the current one taken as done
        MigrationEta.Estimate switching = MigrationEta.estimate(Stage.SWITCHOVER, "Task_SwitchOver", 30, List.of(),
                new MigrationEta.RamLeft(0, NONE), 0);
        assertThat(switching.totalSeconds()).isCloseTo(AFTER_RAM_SECONDS * 2.5 / 4, within(1e-9));
        assertThat(MigrationEta.estimate(Stage.SWITCHOVER, "Task_StopSource", 30, List.of(),
                new MigrationEta.RamLeft(0, NONE), 0).totalSeconds()).isCloseTo(AFTER_RAM_SECONDS * 0.5 / 4,
                within(1e-9));
    }

    @Test
    void stepsBeforeTheCopyGoAtThePaceTheEarlierOnesWent() {
        assertThat(MigrationEta.preparationSeconds("Task_InspectSource", 0)).isEqualTo(4.5);
        // two steps done in 7 s, plus two of a second: half the current one and the two after it at 2.25 s each
        assertThat(MigrationEta.preparationSeconds("Task_PrecreateDisks", 7.0)).isCloseTo(5.625, within(1e-9));
        MigrationEta.Estimate e = MigrationEta.estimate(Stage.BEFORE_COPY, "Task_PrecreateDisks", 7.0,
                List.of(new MigrationEta.DiskLeft(40 * MIB, NONE)), new MigrationEta.RamLeft(0, NONE), 8 * MIB);
        assertThat(e.phaseSeconds()).isNull();
        assertThat(e.totalSeconds()).isCloseTo(5.625 + 5 + AFTER_RAM_SECONDS, within(1e-9));
    }

    @Test
    void theRamStillToSendFollowsHowFullTheScannedPartWas() {
        // 96 of 128 MiB scanned with 1 MiB sent: the other 32 MiB are taken to need a third of a MiB
        io.nbdflow.migration.MigrationStatus firstPass = new io.nbdflow.migration.MigrationStatus("active", MIB,
                32 * MIB, 128 * MIB, 0, 0, null, 0, 0);
        assertThat(MigrationService.ramToSend(firstPass, 10 * MIB)).isEqualTo((32 * MIB + 95) / 96); // rounded up
        // never more than the touched part not sent yet
        io.nbdflow.migration.MigrationStatus full = new io.nbdflow.migration.MigrationStatus("active", 8 * MIB,
                100 * MIB, 128 * MIB, 0, 0, null, 0, 0);
        assertThat(MigrationService.ramToSend(full, 10 * MIB)).isEqualTo(2 * MIB);
        // after the first pass: what QEMU says remains (pages dirtied again)
        io.nbdflow.migration.MigrationStatus again = new io.nbdflow.migration.MigrationStatus("active", 20 * MIB,
                3 * MIB, 128 * MIB, 0, 0, null, 0, 0);
        assertThat(MigrationService.ramToSend(again, 10 * MIB)).isEqualTo(3 * MIB);
    }

    @Test
    void aPersonsApprovalOrARollbackHasNoEstimate() {
        List<MigrationEta.DiskLeft> disks = List.of(new MigrationEta.DiskLeft(0, mibps(8)));
        assertThat(MigrationEta.estimate(Stage.APPROVAL, null, 0, disks, new MigrationEta.RamLeft(MIB, NONE), MIB))
                .isEqualTo(MigrationEta.Estimate.UNKNOWN);
        assertThat(MigrationEta.estimate(Stage.OTHER, null, 0, disks, new MigrationEta.RamLeft(MIB, NONE), MIB))
                .isEqualTo(MigrationEta.Estimate.UNKNOWN);
    }

    @Test
    void theRateMeterSmoothsBurstsAndSkipsReadingsTooCloseTogether() {
        RateMeter m = new RateMeter();
        long s = 1_000_000_000L;
        m.update(0, 0);
        assertThat(m.rate()).isEmpty();
        m.update(s / 10, 5 * MIB); // too close: skipped
        assertThat(m.rate()).isEmpty();
        m.update(s, 8 * MIB);
        assertThat(m.rate().getAsDouble()).isCloseTo(8.0 * MIB, within(1.0));
        // a burst of 16 MiB in the next second moves the average only part of the way
        m.update(2 * s, 24 * MIB);
        assertThat(m.rate().getAsDouble()).isBetween(8.0 * MIB, 16.0 * MIB);
        // a new job starts again from 0: taken as the new base, the rate so far stays
        double before = m.rate().getAsDouble();
        m.update(3 * s, 0);
        assertThat(m.rate().getAsDouble()).isEqualTo(before);
    }

    @Test
    void phaseNamesAreTheDiagramsNamesOrReadableIds() {
        assertThat(MigrationPhase.inner("Task_MirrorDisks#multiInstanceBody")).isEqualTo("Task_MirrorDisks");
        assertThat(MigrationPhase.readable("Task_MirrorDisks")).isEqualTo("Mirror disks");
        assertThat(MigrationPhase.readable("UserTask_ApproveSwitchover")).isEqualTo("Approve switchover");
    }

    @Test
    void progressSamplesForgetEndedMigrationsAndStayBounded() {
        ProgressSamples samples = new ProgressSamples();
        for (int i = 0; i < ProgressSamples.MAX_MIGRATIONS + 10; i++) {
            samples.of("m" + i);
        }
        assertThat(samples.size()).isEqualTo(ProgressSamples.MAX_MIGRATIONS);
        samples.forget("m" + (ProgressSamples.MAX_MIGRATIONS + 9));
        assertThat(samples.size()).isEqualTo(ProgressSamples.MAX_MIGRATIONS - 1);
    }
}
