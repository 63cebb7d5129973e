package io.nbdflow.web;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down a client that guesses passwords, without ever locking a user out: a client (a
 * remote address) may get {@value #FREE_FAILURES} logins wrong within {@link #WINDOW}; after that
 * it must wait before its next try, 1 s after the next failure, then 2, 4, 8 and at most
 * {@link #MAX_DELAY}. Failures older than the window are forgotten, so a client that stops trying
 * is welcome again a minute later at the latest, and a user is never locked by someone else's
 * wrong guesses from another address.
 */
public class LoginThrottle {

    static final int FREE_FAILURES = 5;
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final Duration MAX_DELAY = Duration.ofSeconds(16);
    /** Beyond this many clients the stale ones are dropped, so a flood of addresses cannot fill the memory. */
    private static final int PRUNE_ABOVE = 10_000;

    private final Clock clock;
    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

    public LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long this client must wait before its next login; zero if it may try now. */
    public Duration retryAfter(String client) {
        Deque<Instant> recent = failures.get(client);
        if (recent == null) {
            return Duration.ZERO;
        }
        Instant now = clock.instant();
        synchronized (recent) {
            forgetOld(recent, now);
            int over = recent.size() - FREE_FAILURES;
            if (over < 0) {
                return Duration.ZERO;
            }
            Duration delay = Duration.ofSeconds(1L << Math.min(over, 16));
            if (delay.compareTo(MAX_DELAY) > 0) {
                delay = MAX_DELAY;
            }
            Duration left = Duration.between(now, recent.peekLast().plus(delay));
            return left.isNegative() ? Duration.ZERO : left;
        }
    }

    /** Records a wrong login of this client. */
    public void failed(String client) {
        Instant now = clock.instant();
        if (failures.size() > PRUNE_ABOVE) {
            failures.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    forgetOld(e.getValue(), now);
                    return e.getValue().isEmpty();
                }
            });
        }
        Deque<Instant> recent = failures.computeIfAbsent(client, c -> new ArrayDeque<>());
        synchronized (recent) {
            forgetOld(recent, now);
            recent.addLast(now);
        }
    }

    private static void forgetOld(Deque<Instant> recent, Instant now) {
        Instant oldest = now.minus(WINDOW);
        while (!recent.isEmpty() && !recent.peekFirst().isAfter(oldest)) {
            recent.removeFirst();
        }
    }
}
