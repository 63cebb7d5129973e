package io.nbdflow.application;

import org.springframework.stereotype.Component;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The recent readings of each running migration that a rate needs (a rate is a difference over
 * time, and one reading has none), kept in this node's memory: every status read feeds them, so
 * any node that is asked about a migration twice knows its rates, with no database write per
 * reading. Bounded: an ended migration is forgotten, and beyond {@link #MAX_MIGRATIONS} the one
 * read longest ago is dropped.
 */
@Component
public class ProgressSamples {
    static final int MAX_MIGRATIONS = 256;
    /** How long a reading of the guest's touched memory is reused: it changes slowly, and costs a file read. */
    private static final long GUEST_MEMORY_TTL_NANOS = 5_000_000_000L;

    private final Map<String, Tracker> trackers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Tracker> eldest) {
            return size() > MAX_MIGRATIONS;
        }
    };

    /** The readings of that migration, made on first use. */
    public Tracker of(String migrationId) {
        synchronized (trackers) {
            return trackers.computeIfAbsent(migrationId, id -> new Tracker());
        }
    }

    /** Drops what is kept of a migration (it ended). */
    public void forget(String migrationId) {
        synchronized (trackers) {
            trackers.remove(migrationId);
        }
    }

    int size() {
        synchronized (trackers) {
            return trackers.size();
        }
    }

    /** One migration's meters. Readings may come from several request threads at once: each method locks. */
    public static final class Tracker {
        private final Map<String, RateMeter> disks = new HashMap<>();
        private final Map<String, Long> mirrorLengths = new HashMap<>();
        private final RateMeter ramSent = new RateMeter();
        private boolean guestMemoryRead;
        private long guestMemoryReadAt;
        private OptionalLong guestMemory = OptionalLong.empty();

        /** A disk's mirror offset now; answers the disk's smoothed bytes per second. */
        public synchronized OptionalDouble disk(String target, long nanos, long offset) {
            RateMeter m = disks.computeIfAbsent(target, t -> new RateMeter());
            m.update(nanos, offset);
            return m.rate();
        }

        /**
         * How many bytes that disk's mirror had to copy, as last read: a mirror copies only a
         * disk's data, and once the switchover has completed it QEMU no longer says.
         */
        public synchronized void mirrorLength(String target, long length) {
            mirrorLengths.put(target, length);
        }

        /** The length {@link #mirrorLength} last recorded for that disk, if any. */
        public synchronized OptionalLong mirrorLength(String target) {
            Long length = mirrorLengths.get(target);
            return length == null ? OptionalLong.empty() : OptionalLong.of(length);
        }

        /** The RAM bytes sent so far; answers the send rate. */
        public synchronized OptionalDouble ramSent(long nanos, long transferred) {
            ramSent.update(nanos, transferred);
            return ramSent.rate();
        }

        /** The guest's touched memory, read through {@code reader} at most every few seconds. */
        public synchronized OptionalLong guestMemory(long nanos, Supplier<OptionalLong> reader) {
            if (!guestMemoryRead || nanos - guestMemoryReadAt > GUEST_MEMORY_TTL_NANOS) {
                guestMemory = reader.get();
                guestMemoryRead = true;
                guestMemoryReadAt = nanos;
            }
            return guestMemory;
        }
    }
}
