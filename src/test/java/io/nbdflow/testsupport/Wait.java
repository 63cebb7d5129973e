package io.nbdflow.testsupport;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Every wait of the tests: poll a condition until it holds, or fail with what was awaited, the
 * timeout and the last value seen.
 * <pre>
 * Wait.until("migration " + id + " ended", Duration.ofSeconds(120), () -&gt; ended(id));
 * List&lt;BlockJob&gt; jobs = Wait.until("two mirror jobs", Duration.ofSeconds(60),
 *         () -&gt; SourceSide.mirrorJobs(qmp), j -&gt; j.size() &gt;= 2);
 * Wait.every(Duration.ofMillis(2)).until(...);                     // a tighter poll
 * Wait.explaining(() -&gt; "incidents: " + incidents(id)).until(...); // more context on failure only
 * </pre>
 * The probe runs first at once, then after each interval (50 ms unless said otherwise); it may
 * assert (an AssertionError ends the wait at once) and may throw what it throws. A pause that
 * is not a poll (time for something to happen that no condition can observe) is
 * {@link #pause(String, Duration)}.
 */
public final class Wait {
    /** The interval between two probes unless a wait says otherwise. */
    public static final Duration POLL = Duration.ofMillis(50);

    private static final Poll DEFAULT = new Poll(POLL, null);

    private Wait() {
    }

    /** A condition that may throw (a QMP or file error). */
    @FunctionalInterface
    public interface Condition<E extends Exception> {
        boolean holds() throws E;
    }

    /** Reads the value a wait looks at. */
    @FunctionalInterface
    public interface Probe<T, E extends Exception> {
        T read() throws E;
    }

    /** Polls until the condition holds. */
    public static <E extends Exception> void until(String what, Duration timeout, Condition<E> condition)
            throws E, InterruptedException {
        DEFAULT.until(what, timeout, condition);
    }

    /** Polls until the probe reads a value that is done; returns that value. */
    public static <T, E extends Exception> T until(String what, Duration timeout, Probe<T, E> probe,
                                                   Predicate<? super T> done) throws E, InterruptedException {
        return DEFAULT.until(what, timeout, probe, done);
    }

    /** Waits that poll at that interval instead (zero: at once again, for a probe that blocks itself). */
    public static Poll every(Duration interval) {
        return DEFAULT.every(interval);
    }

    /** Waits whose failure message ends with that context, computed only when they fail. */
    public static Poll explaining(Supplier<String> context) {
        return DEFAULT.explaining(context);
    }

    /**
     * A deliberate pause, not a poll: time for something to happen (or to be shown not to happen)
     * that no condition can observe. {@code why} says what the pause gives time for.
     */
    public static void pause(String why, Duration length) throws InterruptedException {
        Objects.requireNonNull(why, "say why the test pauses");
        Thread.sleep(length.toMillis());
    }

    /** A poll interval and an optional failure context; immutable. */
    public static final class Poll {
        private final Duration interval;
        private final Supplier<String> context;

        private Poll(Duration interval, Supplier<String> context) {
            this.interval = interval;
            this.context = context;
        }

        public Poll every(Duration interval) {
            return new Poll(interval, context);
        }

        public Poll explaining(Supplier<String> context) {
            return new Poll(interval, context);
        }

        /** Polls until the condition holds. */
        public <E extends Exception> void until(String what, Duration timeout, Condition<E> condition)
                throws E, InterruptedException {
            until(what, timeout, condition::holds, Boolean::booleanValue);
        }

        /** Polls until the probe reads a value that is done; returns that value. */
        public <T, E extends Exception> T until(String what, Duration timeout, Probe<T, E> probe,
                                                Predicate<? super T> done) throws E, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                T value = probe.read();
                if (done.test(value)) {
                    return value;
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new AssertionError(what + ": not within " + timeout + "; last seen: " + value
                            + (context == null ? "" : "; " + context.get()));
                }
                if (!interval.isZero()) {
                    Thread.sleep(interval.toMillis());
                }
            }
        }
    }
}
