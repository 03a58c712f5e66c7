package io.fieldlink.sample;

import io.fieldlink.sample.RequestStats.Bucket;
import io.fieldlink.sample.RequestStats.DeviceWindow;
import io.fieldlink.sample.RequestStats.Outcome;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RequestStatsTest {

    private static final long T0 = 1_764_000_000_000L; // a multiple of the bucket length

    private final AtomicLong now = new AtomicLong(T0);
    private final RequestStats stats = new RequestStats(now::get);

    private DeviceWindow window(String id) {
        return stats.snapshot().devices().stream().filter(d -> d.deviceId().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void percentilesAreWithinOneThirtySecondOfTheTrueValue() {
        for (int us = 1; us <= 10_000; us++) {
            stats.record("plc-1", Outcome.OK, us);
        }
        Bucket b = window("plc-1").buckets().get(RequestStats.BUCKETS - 1);
        assertThat(b.requests()).isEqualTo(10_000);
        assertThat((double) b.p50Micros()).isCloseTo(5_000, within(5_000 / 32.0));
        assertThat((double) b.p99Micros()).isCloseTo(9_900, within(9_900 / 32.0));
        assertThat(b.maxMicros()).isEqualTo(10_000);
    }

    @Test
    void everyLatencyLandsInASlotWhoseMiddleIsWithinOneThirtySecond() {
        int last = -1;
        for (long us = 0; us < 1L << 40; us = us < 100 ? us + 1 : us + us / 7) {
            int slot = RequestStats.slot(us);
            assertThat(slot).as("slots grow with the latency").isGreaterThanOrEqualTo(last);
            last = slot;
            if (us < 1L << 36) {
                assertThat((double) RequestStats.value(slot)).as(us + " us").isCloseTo(us, within(us / 32.0 + 0.5));
            }
        }
    }

    @Test
    void aWindowHasSixtyTenSecondBucketsEndingNowOldestFirst() {
        stats.record("plc-1", Outcome.OK, 100);
        now.addAndGet(25_000);
        stats.record("plc-1", Outcome.TIMEOUT, 2_000_000);
        stats.record("plc-1", Outcome.OK, 300);

        DeviceWindow w = window("plc-1");
        assertThat(w.buckets()).hasSize(60);
        Bucket newest = w.buckets().get(59);
        assertThat(newest.startMs()).isEqualTo(T0 + 20_000);
        assertThat(newest.requests()).isEqualTo(2);
        assertThat(newest.failed()).isEqualTo(Map.of(Outcome.TIMEOUT, 1L));
        assertThat(w.buckets().get(57).requests()).isEqualTo(1);
        assertThat(w.buckets().get(57).failed()).isEmpty();
        assertThat(w.buckets().get(58).requests()).isZero();
        assertThat(w.buckets().get(58).p50Micros()).as("no requests, no latency").isEqualTo(-1);
        assertThat(w.lastMinute().requests()).isEqualTo(3);
        assertThat(w.lastMinute().perSecond()).isCloseTo(0.05, within(1e-9));
        assertThat(w.totals()).isEqualTo(Map.of(Outcome.OK, 2L, Outcome.TIMEOUT, 1L));
    }

    @Test
    void requestsOlderThanTenMinutesLeaveTheWindowButStayInTheTotals() {
        stats.record("plc-1", Outcome.DOWN, 50);
        now.addAndGet(RequestStats.WINDOW_MS);
        stats.record("plc-1", Outcome.OK, 70); // reuses the ring slot of the first request's bucket

        DeviceWindow w = window("plc-1");
        assertThat(w.buckets().stream().mapToLong(Bucket::requests).sum()).isEqualTo(1);
        assertThat(w.buckets().get(59).p50Micros()).isEqualTo(70);
        assertThat(w.requests()).isEqualTo(2);
        assertThat(w.lastMinute().failed()).isEmpty();
    }

    @Test
    void aClockThatWentBackCountsInTheNewerBucketInsteadOfErasingIt() {
        now.addAndGet(RequestStats.WINDOW_MS);
        stats.record("plc-1", Outcome.OK, 10);
        now.addAndGet(-RequestStats.WINDOW_MS); // same ring slot, older bucket
        stats.record("plc-1", Outcome.OK, 20);
        now.addAndGet(RequestStats.WINDOW_MS);
        assertThat(window("plc-1").buckets().get(59).requests()).isEqualTo(2);
    }

    @Test
    void anUnknownIdIsNotCountedByTheService() {
        assertThat(DeviceService.outcome(new io.fieldlink.api.DeviceException("plc-9", null, "not a device of pool it")))
                .isNull();
        assertThat(DeviceService.outcome(new io.fieldlink.api.DeviceException("plc-1", "127.0.0.1:1", "frame is null")))
                .isEqualTo(Outcome.FAILED);
    }
}
