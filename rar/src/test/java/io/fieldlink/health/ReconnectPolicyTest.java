package io.fieldlink.health;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class ReconnectPolicyTest {

    @Test
    void ceilingGrowsExponentiallyUpToTheMaximum() {
        ReconnectPolicy p = new ReconnectPolicy(500, 30_000, 2.0, () -> 0.5);
        assertThat(p.ceilingMs(0)).isEqualTo(500);
        assertThat(p.ceilingMs(1)).isEqualTo(1_000);
        assertThat(p.ceilingMs(5)).isEqualTo(16_000);
        assertThat(p.ceilingMs(6)).isEqualTo(30_000);
        assertThat(p.ceilingMs(10_000)).isEqualTo(30_000);
    }

    @Test
    void fullJitterSpansTheWholeWindow() {
        assertThat(new ReconnectPolicy(500, 30_000, 2.0, () -> 0.0).delayMs(3)).isZero();
        assertThat(new ReconnectPolicy(500, 30_000, 2.0, () -> 0.999_999_9).delayMs(3)).isEqualTo(4_000);
        assertThat(new ReconnectPolicy(500, 30_000, 2.0, () -> 0.25).delayMs(3)).isEqualTo(1_000);
    }

    @Test
    void manyDevicesHealingTogetherSpreadOverTheWindow() {
        // 1,000 devices at their 6th attempt: without jitter they would all reconnect in the same
        // millisecond; with full jitter each tenth of the window gets about a tenth of them.
        SplittableRandom random = new SplittableRandom(42);
        ReconnectPolicy p = new ReconnectPolicy(500, 30_000, 2.0, random::nextDouble);
        int[] buckets = new int[10];
        for (int i = 0; i < 1_000; i++) {
            long d = p.delayMs(6);
            assertThat(d).isBetween(0L, 30_000L);
            buckets[(int) Math.min(9, d / 3_000)]++;
        }
        for (int b : buckets) {
            assertThat(b).isBetween(60, 140);
        }
    }
}
