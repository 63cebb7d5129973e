package io.nbdflow.testsupport;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tests' one wait: returns what it waited for, fails saying what and what it last saw. */
class WaitTest {

    @Test
    void returnsTheFirstValueThatIsDone() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        int value = Wait.every(Duration.ofMillis(1)).until("three reads", Duration.ofSeconds(5),
                reads::incrementAndGet, n -> n >= 3);
        assertThat(value).isEqualTo(3);
        assertThat(reads).hasValue(3);
    }

    @Test
    void failsWithWhatItAwaitedTheTimeoutTheLastValueAndTheContext() {
        assertThatThrownBy(() -> Wait.explaining(() -> "context")
                .until("the answer", Duration.ofMillis(100), () -> 41, n -> n == 42))
                .isInstanceOf(AssertionError.class)
                .hasMessage("the answer: not within PT0.1S; last seen: 41; context");
    }

    @Test
    void aConditionThatHoldsAtOnceDoesNotWait() throws Exception {
        long t0 = System.nanoTime();
        Wait.until("true", Duration.ofSeconds(5), () -> true);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Wait.POLL);
    }

    @Test
    void whatTheProbeThrowsEndsTheWait() {
        AtomicInteger reads = new AtomicInteger();
        assertThatThrownBy(() -> Wait.until("a file", Duration.ofSeconds(5), () -> {
            reads.incrementAndGet();
            throw new IOException("gone");
        })).isInstanceOf(IOException.class).hasMessage("gone");
        assertThat(reads).hasValue(1);
    }
}
