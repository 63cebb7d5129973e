package io.nbdflow.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CopyStorageTest {

    @Test
    void missingMeansAll() {
        assertThat(CopyStorage.parse(null)).isEqualTo(CopyStorage.ALL);
        assertThat(CopyStorage.parse("")).isEqualTo(CopyStorage.ALL);
        assertThat(CopyStorage.parse("  ")).isEqualTo(CopyStorage.ALL);
    }

    @Test
    void wordsAreRead() {
        assertThat(CopyStorage.parse("all")).isEqualTo(CopyStorage.ALL);
        assertThat(CopyStorage.parse("inc")).isEqualTo(CopyStorage.INC);
        assertThat(CopyStorage.parse(" INC ")).isEqualTo(CopyStorage.INC);
    }

    @Test
    void otherWordsAreRejected() {
        assertThatThrownBy(() -> CopyStorage.parse("x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("copyStorage: expected 'all' or 'inc', got 'x'");
    }

    @Test
    void valueIsTheLowerCaseWord() {
        assertThat(CopyStorage.ALL.value()).isEqualTo("all");
        assertThat(CopyStorage.INC.value()).isEqualTo("inc");
        for (CopyStorage c : CopyStorage.values()) {
            assertThat(CopyStorage.parse(c.value())).isEqualTo(c);
        }
    }

    @Test
    void fromValueReadsOnlyTheExactWord() {
        for (CopyStorage c : CopyStorage.values()) {
            assertThat(CopyStorage.fromValue(c.value())).isEqualTo(c);
        }
        assertThatThrownBy(() -> CopyStorage.fromValue(" INC ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyStorage.fromValue(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
