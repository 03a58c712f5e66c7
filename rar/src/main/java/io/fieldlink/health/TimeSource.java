package io.fieldlink.health;

import java.time.Instant;

/**
 * The adapter's view of time: a monotonic clock for durations and a wall clock for what operators
 * read. A seam so that tests can drive time instead of sleeping.
 */
public interface TimeSource {

    /** Monotonic nanoseconds, only meaningful as differences (never jumps with NTP or DST). */
    long nanoTime();

    /** Wall-clock time for timestamps in logs, the health view and notices. */
    Instant now();

    TimeSource SYSTEM = new TimeSource() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Instant now() {
            return Instant.now();
        }
    };
}
