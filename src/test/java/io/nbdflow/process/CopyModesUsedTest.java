package io.nbdflow.process;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The text of the variable that shows each disk's copy mode. */
class CopyModesUsedTest {

    @Test
    void entriesAreAddedInOrderAndReplacedByDisk() {
        CopyModesUsed used = CopyModesUsed.parse(null).with("vda", "background (requested)")
                .with("vdb", "write-blocking (auto: the guest writes 8.0 MiB/s)");
        assertThat(used.toString())
                .isEqualTo("vda: background (requested); vdb: write-blocking (auto: the guest writes 8.0 MiB/s)");
        CopyModesUsed again = CopyModesUsed.parse(used.toString()).with("vda", "write-blocking (switched)");
        assertThat(again.toString())
                .isEqualTo("vda: write-blocking (switched); vdb: write-blocking (auto: the guest writes 8.0 MiB/s)");
        assertThat(again.of("vdb")).isEqualTo("write-blocking (auto: the guest writes 8.0 MiB/s)");
        assertThat(again.of("vdc")).isNull();
    }

    @Test
    void aValueChangedByHandIsReadAsFarAsItMakesSense() {
        assertThat(CopyModesUsed.parse(42L).with("vda", "background (requested)").toString())
                .isEqualTo("vda: background (requested)");
        assertThat(CopyModesUsed.parse("nonsense; vdb: background (requested)").with("vda", "x").toString())
                .isEqualTo("vdb: background (requested); vda: x");
    }
}
