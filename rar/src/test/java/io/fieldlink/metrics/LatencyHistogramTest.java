package io.fieldlink.metrics;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Buckets within 12.5 %, percentiles and exact max, and a window that forgets on a clock the test drives. */
class LatencyHistogramTest {

    private static final long T0 = 1_000_000_000L;

    private static long ms(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void everyValueFallsInABucketAtMostAnEighthWide() {
        int previous = -1;
        for (long v = 0; v < LatencyHistogram.MAX_MICROS; v = v < 100_000 ? v + 1 : v + v / 1_000) {
            int b = LatencyHistogram.bucketOf(v);
            assertThat(b).isBetween(previous, previous + 1); // buckets are contiguous and in order
            long upper = LatencyHistogram.upperEdge(b);
            assertThat(upper).isGreaterThanOrEqualTo(v).isLessThanOrEqualTo(v + v / 8);
            if (b > 0) {
                assertThat(LatencyHistogram.upperEdge(b - 1)).isLessThan(v);
            }
            previous = b;
        }
        assertThat(LatencyHistogram.bucketOf(LatencyHistogram.MAX_MICROS)).isEqualTo(LatencyHistogram.BUCKETS - 1);
        assertThat(LatencyHistogram.upperEdge(LatencyHistogram.BUCKETS - 1)).isEqualTo(LatencyHistogram.MAX_MICROS);
        assertThat(LatencyHistogram.bucketOf(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
        assertThat(LatencyHistogram.bucketOf(-5)).isZero();
    }

    @Test
    void percentilesAreWithinAnEighthAndTheMaxIsExact() {
        LatencyHistogram h = new LatencyHistogram(T0);
        for (int i = 1; i <= 1_000; i++) {
            h.record(TimeUnit.MICROSECONDS.toNanos(i * 100L), T0 + ms(10)); // 0.1 ms .. 100 ms
        }
        LatencyHistogram.Window w = h.window(T0 + ms(20));
        assertThat(w.count()).isEqualTo(1_000);
        assertThat(w.percentileMicros(0.50)).isBetween(50_000L, 50_000L + 50_000L / 8);
        assertThat(w.percentileMicros(0.99)).isBetween(99_000L, 100_000L);
        assertThat(w.maxMicros()).isEqualTo(100_000);
        assertThat(h.count()).isEqualTo(1_000);
        assertThat(h.sumMicros()).isEqualTo(100L * 1_000 * 1_001 / 2);
    }

    @Test
    void theWindowHoldsTheLast45To60SecondsAndForgetsTheRest() {
        LatencyHistogram h = new LatencyHistogram(T0);
        h.record(ms(900), T0 + ms(1_000));     // slow, early in the first slot
        h.record(ms(2), T0 + ms(40_000));
        assertThat(h.window(T0 + ms(44_000)).count()).isEqualTo(2);
        assertThat(h.window(T0 + ms(59_999)).maxMicros()).isEqualTo(900_000);

        // the first slot's period is over 60 s ago: its sample leaves, without anyone recording
        LatencyHistogram.Window later = h.window(T0 + ms(60_000));
        assertThat(later.count()).isEqualTo(1);
        assertThat(later.maxMicros()).isEqualTo(2_000);
        assertThat(h.window(T0 + ms(120_000)).count()).isZero();
        assertThat(h.window(T0 + ms(120_000)).percentileMicros(0.99)).isZero();
        assertThat(h.count()).as("the totals keep everything").isEqualTo(2);
    }

    @Test
    void aSlotComingRoundAgainStartsEmpty() {
        LatencyHistogram h = new LatencyHistogram(T0);
        for (int i = 0; i < 100; i++) {
            h.record(ms(50), T0 + ms(5_000));
        }
        h.record(ms(3), T0 + ms(65_000)); // 4 slots of 15 s later: the same slot, a new period
        LatencyHistogram.Window w = h.window(T0 + ms(65_000));
        assertThat(w.count()).isEqualTo(1);
        assertThat(w.maxMicros()).isEqualTo(3_000);
        assertThat(w.percentileMicros(0.5)).isEqualTo(3_000);
    }

    @Test
    void windowsOfSeveralDevicesAddUp() {
        LatencyHistogram a = new LatencyHistogram(T0);
        LatencyHistogram b = new LatencyHistogram(T0 + ms(7_000)); // opened later: other slot boundaries
        a.record(ms(1), T0 + ms(10));
        b.record(ms(40), T0 + ms(8_000));
        long now = T0 + ms(9_000);
        LatencyHistogram.Window both = LatencyHistogram.Window.empty().plus(a.window(now)).plus(b.window(now));
        assertThat(both.count()).isEqualTo(2);
        assertThat(both.maxMicros()).isEqualTo(40_000);
        assertThat(both.percentileMicros(0.5)).isBetween(1_000L, 1_000L + 1_000L / 8);
    }

    /**
     * Recorders crossing slot periods while readers read: a window never shows samples without
     * their maximum, nor a maximum below its percentiles (a half-recycled slot would).
     */
    @Test
    void whileThreadsRecordAcrossPeriodsEveryWindowIsConsistent() throws Exception {
        LatencyHistogram h = new LatencyHistogram(T0);
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(T0);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.List<String> broken = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicLong recorded = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        for (int t = 0; t < 3; t++) {
            threads.add(new Thread(() -> {
                while (!stop.get()) {
                    h.record(ms(2), now.get()); // every sample is 2 ms
                    recorded.incrementAndGet();
                }
            }));
        }
        threads.add(new Thread(() -> {
            while (!stop.get()) {
                reads.incrementAndGet();
                LatencyHistogram.Window w = h.window(now.get());
                if (w.count() > 0 && (w.maxMicros() < 2_000 || w.percentileMicros(0.99) > w.maxMicros()
                        || w.percentileMicros(0.5) < 2_000)) {
                    broken.add("count " + w.count() + ", p50 " + w.percentileMicros(0.5) + ", p99 "
                            + w.percentileMicros(0.99) + ", max " + w.maxMicros());
                }
            }
        }));
        threads.forEach(Thread::start);
        for (int period = 0; period < 300 && broken.isEmpty(); period++) {
            now.addAndGet(ms(15_000)); // the next slot period: recorders and reader race its swap ...
            long r0 = recorded.get();
            long w0 = reads.get();
            long deadline = System.nanoTime() + 5_000_000_000L;
            // ... and every thread works in it before the next one (otherwise nothing races at all)
            while ((recorded.get() - r0 < 300 || reads.get() - w0 < 20) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(broken).as("inconsistent windows").isEmpty();
    }
}
