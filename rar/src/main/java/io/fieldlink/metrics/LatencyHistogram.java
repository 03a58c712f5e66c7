package io.fieldlink.metrics;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request latencies of one device in fixed buckets, kept for the last minute: p50, p99 and max over
 * a window that moves by itself, plus a count and a sum since start.
 *
 * <pre>{@code
 * LatencyHistogram latency = new LatencyHistogram(System.nanoTime());
 * long start = System.nanoTime();
 * byte[] answer = link.request(frame, 2_000);
 * long end = System.nanoTime();
 * latency.record(end - start, end);                 // no lock, no allocation
 * LatencyHistogram.Window w = latency.window(System.nanoTime());
 * long p99 = w.percentileMicros(0.99);              // within 12.5 % above the true value
 * }</pre>
 *
 * <p><b>Buckets.</b> Microseconds, HDR-like: exact below 16 µs, then 8 buckets per power of two, so
 * a percentile is reported as its bucket's upper edge, at most 12.5 % above the true value (and
 * never above the window's exact maximum). Values above {@link #MAX_MICROS} (about 35 minutes)
 * count in the top bucket. {@value #BUCKETS} buckets.
 *
 * <p><b>Window.</b> {@value #SLOTS} slots of {@link #SLOT_MS} ms each, chosen by the time a sample is
 * recorded; a slot is replaced by a fresh one when its time comes round again, by the first request
 * that lands in it (one small allocation per 15 s per device). A window is the current slot and the ones before it: the last 45 to 60 s, whoever reads it and how
 * often, and samples older than that are forgotten without any timer.
 *
 * <p><b>Cost.</b> Recording is a few arithmetic operations, one volatile read, one atomic increment
 * and, for a new maximum, one compare-and-set: no lock, and no allocation but the new slot once per
 * period (the per-device counters are contended by at most {@code maxConnectionsPerDevice}
 * threads). Memory is bounded: {@value #SLOTS} slots of {@value #BUCKETS} ints, about 4 kB per device. Reading allocates; it runs on the JMX reader's thread.
 *
 * <p><b>Races, accepted.</b> Once per slot period, a sample recorded by another thread while the
 * first one swaps the slot may land in the abandoned slot and be lost from the window (never from
 * {@link #count()} and {@link #sumMicros()}); it is never mixed into another period, and a reader
 * sees each period whole. These are metrics, not accounting.
 */
public final class LatencyHistogram {

    /** Sub-buckets per power of two: 2^3 = 8, a bucket spans at most 1/8 of its lower edge. */
    private static final int SUB_BITS = 3;
    private static final int SUB = 1 << SUB_BITS;
    /** The largest value told apart from larger ones: 2^31 - 1 µs, about 35.8 minutes. */
    public static final long MAX_MICROS = (1L << 31) - 1;
    public static final int BUCKETS = 232; // bucketOf(MAX_MICROS) + 1
    static final int SLOTS = 4;
    /** A window is the current slot and the 3 before: 45 to 60 s of samples. */
    public static final long SLOT_MS = 15_000;
    private static final long SLOT_NANOS = TimeUnit.MILLISECONDS.toNanos(SLOT_MS);

    /**
     * One period's samples. A new period gets a new slot object, swapped in by compare-and-set: a
     * sample that raced the swap lands in the abandoned object (lost to the window, never mixed into
     * the new period), and a reader always sees one whole period. One allocation per 15 s.
     */
    private static final class Slot {
        final long period;
        final AtomicIntegerArray counts = new AtomicIntegerArray(BUCKETS);
        final AtomicLong max = new AtomicLong();

        Slot(long period) {
            this.period = period;
        }
    }

    private final long originNanos;
    private final AtomicReferenceArray<Slot> slots = new AtomicReferenceArray<>(SLOTS);
    private final LongAdder count = new LongAdder();
    private final LongAdder sumMicros = new LongAdder();

    /** @param originNanos any {@link System#nanoTime()} value before the first sample: slot periods count from it */
    public LatencyHistogram(long originNanos) {
        this.originNanos = originNanos;
    }

    /**
     * Records one latency.
     *
     * @param latencyNanos how long the request took
     * @param nowNanos     {@link System#nanoTime()} when it ended (the caller has it already)
     */
    public void record(long latencyNanos, long nowNanos) {
        long micros = Math.max(0, latencyNanos / 1_000);
        count.increment();
        sumMicros.add(micros);
        long period = Math.floorDiv(nowNanos - originNanos, SLOT_NANOS);
        int i = (int) Math.floorMod(period, SLOTS);
        Slot slot = slots.get(i);
        if (slot == null || slot.period != period) {
            if (slot != null && slot.period > period) {
                return; // a sample from a period whose slot was already recycled: too old for the window
            }
            Slot fresh = new Slot(period);
            if (slots.compareAndSet(i, slot, fresh)) {
                slot = fresh; // this thread opened the new period: the old samples leave the window
            } else {
                slot = slots.get(i); // another thread opened it (or a later one): use it if it is ours
                if (slot.period != period) {
                    return;
                }
            }
        }
        // the maximum first: a reader that sees the count sees its maximum too (never p99 > max)
        if (micros > slot.max.get()) {
            slot.max.accumulateAndGet(micros, Math::max);
        }
        slot.counts.incrementAndGet(bucketOf(micros));
    }

    /** Requests recorded since start. */
    public long count() {
        return count.sum();
    }

    /** Their latencies added up, in microseconds (with {@link #count()}: the mean, or a rate of it). */
    public long sumMicros() {
        return sumMicros.sum();
    }

    /** The samples of the last 45 to 60 s as of {@code nowNanos}. */
    public Window window(long nowNanos) {
        long period = Math.floorDiv(nowNanos - originNanos, SLOT_NANOS);
        long[] merged = new long[BUCKETS];
        long max = 0;
        for (int s = 0; s < SLOTS; s++) {
            Slot slot = slots.get(s); // read once: one whole period, whatever recorders do meanwhile
            if (slot == null || slot.period > period || slot.period <= period - SLOTS) {
                continue; // never used, or samples older than the window
            }
            for (int b = 0; b < BUCKETS; b++) {
                merged[b] += slot.counts.get(b);
            }
            max = Math.max(max, slot.max.get());
        }
        return new Window(merged, max);
    }

    /** The bucket of a value in microseconds: exact below 16, then 8 per power of two. */
    static int bucketOf(long micros) {
        long v = Math.min(Math.max(micros, 0), MAX_MICROS);
        if (v < SUB) {
            return (int) v;
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS;
        return (int) ((shift + 1) * SUB + ((v >>> shift) & (SUB - 1)));
    }

    /** The largest value in microseconds that falls in {@code bucket}. */
    static long upperEdge(int bucket) {
        if (bucket < SUB) {
            return bucket;
        }
        int shift = bucket / SUB - 1;
        long lower = (long) (SUB + bucket % SUB) << shift;
        return lower + (1L << shift) - 1;
    }

    /**
     * Samples of one window (or of several devices' windows, {@link #plus merged}): counts per
     * bucket and the exact maximum. Made by the reader; never shared with the recording threads.
     */
    public static final class Window {
        private final long[] counts;
        private final long maxMicros;
        private final long total;

        Window(long[] counts, long maxMicros) {
            this.counts = counts;
            this.maxMicros = maxMicros;
            long n = 0;
            for (long c : counts) {
                n += c;
            }
            this.total = n;
        }

        /** A window with no samples: the start of a sum over devices. */
        public static Window empty() {
            return new Window(new long[BUCKETS], 0);
        }

        /** Requests in the window. */
        public long count() {
            return total;
        }

        /** The slowest request in the window, in microseconds (exact); 0 if none. */
        public long maxMicros() {
            return maxMicros;
        }

        /**
         * The latency that {@code fraction} (0.5, 0.99) of the window's requests did not exceed,
         * in microseconds: the upper edge of its bucket, capped by the exact maximum; 0 if none.
         */
        public long percentileMicros(double fraction) {
            if (total == 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(fraction * total));
            long seen = 0;
            for (int b = 0; b < BUCKETS; b++) {
                seen += counts[b];
                if (seen >= rank) {
                    return Math.min(upperEdge(b), maxMicros);
                }
            }
            return maxMicros;
        }

        /** This window and {@code other} together (a pool's devices). */
        public Window plus(Window other) {
            long[] sum = counts.clone();
            for (int b = 0; b < BUCKETS; b++) {
                sum[b] += other.counts[b];
            }
            return new Window(sum, Math.max(maxMicros, other.maxMicros));
        }
    }
}
