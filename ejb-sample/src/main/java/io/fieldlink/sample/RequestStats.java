package io.fieldlink.sample;

import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Singleton;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What the sample's own requests to each device did over the last {@link #WINDOW_MS} ms: how many,
 * how many failed and how (down, busy, timeout, connection lost, other), and how long they took
 * (p50/p99), per {@link #BUCKET_MS} ms bucket, for the page's chart and {@code GET /api/stats}.
 *
 * <p>Bounded whatever the load: per device a ring of {@link #BUCKETS} buckets, each a fixed
 * log-linear latency histogram ({@link #SUB_BUCKETS} steps per power of two: a percentile is off by
 * at most 1/32 of its value) instead of a list of latencies. Only ids of the pool belong here:
 * {@link DeviceService} does not record a request for an id the pool does not know, so a client
 * cannot grow the map with made-up ids.
 *
 * <p>This is the sample's view of its own calls, from outside the adapter; the adapter's MXBeans
 * (docs/operations.md) count every request of every application.
 *
 * <p>Thread safety: one lock per device ({@code synchronized} on its {@link Device}); recording is
 * a few array writes under it. Time comes from {@code clockMs} (a seam for tests).
 */
@Singleton
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class RequestStats {

    /** Ten minutes: what the page shows. */
    static final long WINDOW_MS = 600_000;
    static final long BUCKET_MS = 10_000;
    static final int BUCKETS = (int) (WINDOW_MS / BUCKET_MS);
    /** Steps per power of two in the latency histogram; a slot's middle is within 1/32 of any latency in it. */
    static final int SUB_BUCKETS = 16;
    private static final int SUB_BITS = 4;
    /** Latencies up to 2^36 us (19 h) have their own slot; longer ones count in the last. */
    private static final int MAX_EXPONENT = 36;
    private static final int SLOTS = SUB_BUCKETS + (MAX_EXPONENT - SUB_BITS) * SUB_BUCKETS;

    /** How a request ended. */
    public enum Outcome { OK, DOWN, BUSY, TIMEOUT, LOST, FAILED }

    private final LongSupplier clockMs;
    private final Map<String, Device> devices = new LinkedHashMap<>();

    public RequestStats() {
        this(System::currentTimeMillis);
    }

    /** Visible for testing: time from {@code clockMs} (epoch milliseconds). */
    RequestStats(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    /** Counts one request to {@code deviceId} that took {@code micros} and ended as {@code outcome}. */
    public void record(String deviceId, Outcome outcome, long micros) {
        Device d;
        synchronized (devices) {
            d = devices.computeIfAbsent(deviceId, id -> new Device());
        }
        d.record(clockMs.getAsLong(), outcome, Math.max(0, micros));
    }

    /** Every device's window, oldest bucket first, ending with the bucket that holds "now". */
    public Snapshot snapshot() {
        long now = clockMs.getAsLong();
        List<Map.Entry<String, Device>> all;
        synchronized (devices) {
            all = new ArrayList<>(devices.entrySet());
        }
        List<DeviceWindow> windows = new ArrayList<>();
        for (Map.Entry<String, Device> e : all) {
            windows.add(e.getValue().window(e.getKey(), now));
        }
        return new Snapshot(now, BUCKET_MS, windows);
    }

    /** The answer of {@link #snapshot()}: {@code nowMs} is this server's clock, for the page to correct its own. */
    public record Snapshot(long nowMs, long bucketMs, List<DeviceWindow> devices) {
    }

    /**
     * One device: totals since start, the last minute, and one {@link Bucket} per {@code bucketMs}
     * of the window (empty ones included, so the page draws gaps as gaps).
     */
    public record DeviceWindow(String deviceId, long requests, Map<Outcome, Long> totals, Bucket lastMinute,
                               List<Bucket> buckets) {
    }

    /**
     * Requests that started in [{@code startMs}, {@code startMs + lengthMs}): how many, the failed
     * ones by outcome, and the latency of all of them ({@code -1} when there were none).
     */
    public record Bucket(long startMs, long lengthMs, long requests, Map<Outcome, Long> failed,
                         long p50Micros, long p99Micros, long maxMicros) {
        public double perSecond() {
            return requests * 1000.0 / lengthMs;
        }
    }

    private static final class Device {
        private final long[] startMs = new long[BUCKETS];
        private final long[][] outcomes = new long[BUCKETS][Outcome.values().length];
        private final int[][] latency = new int[BUCKETS][SLOTS];
        private final long[] maxMicros = new long[BUCKETS];
        private final long[] totals = new long[Outcome.values().length];

        Device() {
            java.util.Arrays.fill(startMs, Long.MIN_VALUE);
        }

        synchronized void record(long nowMs, Outcome outcome, long micros) {
            int i = slotFor(nowMs);
            outcomes[i][outcome.ordinal()]++;
            latency[i][slot(micros)]++;
            maxMicros[i] = Math.max(maxMicros[i], micros);
            totals[outcome.ordinal()]++;
        }

        /** The ring slot of the bucket holding {@code nowMs}, cleared if it held an older bucket. */
        private int slotFor(long nowMs) {
            long start = Math.floorDiv(nowMs, BUCKET_MS) * BUCKET_MS;
            int i = (int) Math.floorMod(Math.floorDiv(nowMs, BUCKET_MS), (long) BUCKETS);
            // an older bucket in this slot is cleared; a newer one (the clock went back) is kept and counted in
            if (startMs[i] < start) {
                startMs[i] = start;
                java.util.Arrays.fill(outcomes[i], 0);
                java.util.Arrays.fill(latency[i], 0);
                maxMicros[i] = 0;
            }
            return i;
        }

        synchronized DeviceWindow window(String id, long nowMs) {
            long current = Math.floorDiv(nowMs, BUCKET_MS) * BUCKET_MS;
            List<Bucket> buckets = new ArrayList<>(BUCKETS);
            int[] minute = new int[SLOTS];
            long[] minuteOutcomes = new long[Outcome.values().length];
            long minuteMax = 0;
            for (int k = BUCKETS - 1; k >= 0; k--) {
                long start = current - k * BUCKET_MS;
                int i = (int) Math.floorMod(Math.floorDiv(start, BUCKET_MS), (long) BUCKETS);
                boolean held = startMs[i] == start;
                long[] o = held ? outcomes[i] : new long[Outcome.values().length];
                int[] h = held ? latency[i] : new int[SLOTS];
                long max = held ? maxMicros[i] : 0;
                buckets.add(bucket(start, BUCKET_MS, o, h, max));
                if (start > current - 60_000) { // the last six buckets: the minute ending now
                    for (int s = 0; s < SLOTS; s++) {
                        minute[s] += h[s];
                    }
                    for (int s = 0; s < o.length; s++) {
                        minuteOutcomes[s] += o[s];
                    }
                    minuteMax = Math.max(minuteMax, max);
                }
            }
            Bucket lastMinute = bucket(current + BUCKET_MS - 60_000, 60_000, minuteOutcomes, minute, minuteMax);
            long requests = 0;
            for (long t : totals) {
                requests += t;
            }
            return new DeviceWindow(id, requests, byOutcome(totals, true), lastMinute, buckets);
        }
    }

    private static Bucket bucket(long start, long length, long[] outcomes, int[] histogram, long max) {
        long n = 0;
        for (long c : outcomes) {
            n += c;
        }
        return new Bucket(start, length, n, byOutcome(outcomes, false), percentile(histogram, n, 0.50),
                percentile(histogram, n, 0.99), n == 0 ? -1 : max);
    }

    private static Map<Outcome, Long> byOutcome(long[] counts, boolean withOk) {
        Map<Outcome, Long> m = new LinkedHashMap<>();
        for (Outcome o : Outcome.values()) {
            if ((withOk || o != Outcome.OK) && counts[o.ordinal()] > 0) {
                m.put(o, counts[o.ordinal()]);
            }
        }
        return m;
    }

    /** The histogram slot of a latency: exact below {@link #SUB_BUCKETS} us, then 16 steps per power of two. */
    static int slot(long micros) {
        if (micros < SUB_BUCKETS) {
            return (int) micros;
        }
        int exponent = Math.min(63 - Long.numberOfLeadingZeros(micros), MAX_EXPONENT - 1);
        if (exponent >= MAX_EXPONENT - 1 && micros >= (1L << MAX_EXPONENT)) {
            return SLOTS - 1;
        }
        int sub = (int) ((micros >>> (exponent - SUB_BITS)) & (SUB_BUCKETS - 1));
        return SUB_BUCKETS + (exponent - SUB_BITS) * SUB_BUCKETS + sub;
    }

    /** The middle of a slot's range of latencies. */
    static long value(int slot) {
        if (slot < SUB_BUCKETS) {
            return slot;
        }
        int exponent = (slot - SUB_BUCKETS) / SUB_BUCKETS + SUB_BITS;
        int sub = (slot - SUB_BUCKETS) % SUB_BUCKETS;
        long width = 1L << (exponent - SUB_BITS);
        long low = (1L << exponent) + sub * width;
        return low + width / 2;
    }

    /** The {@code q} quantile (nearest rank) of {@code n} latencies in a histogram, or -1 if none. */
    static long percentile(int[] histogram, long n, double q) {
        if (n == 0) {
            return -1;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int s = 0; s < histogram.length; s++) {
            seen += histogram[s];
            if (seen >= rank) {
                return value(s);
            }
        }
        return value(histogram.length - 1);
    }
}
