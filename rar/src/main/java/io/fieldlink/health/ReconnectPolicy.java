package io.fieldlink.health;

import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: attempt {@code n} (0-based) waits a uniformly random time in
 * {@code [0, min(max, initial * multiplier^n)]}.
 *
 * <p>Why full jitter: when a switch or a whole network segment comes back, hundreds of devices heal
 * at the same instant; a fixed 1, 2, 4 ... 32 s ladder makes every pool reconnect in lockstep and
 * storm devices that accept one or two connections. Spreading each attempt over its whole window
 * keeps the reconnect rate flat (the "full jitter" variant of the AWS architecture blog's analysis).
 *
 * <pre>{@code
 * ReconnectPolicy policy = new ReconnectPolicy(500, 30_000, 2.0, ThreadLocalRandom.current()::nextDouble);
 * long wait = policy.delayMs(attempt);   // 0 <= wait <= min(30 s, 500 ms * 2^attempt)
 * }</pre>
 */
public final class ReconnectPolicy {

    private final long initialDelayMs;
    private final long maxDelayMs;
    private final double multiplier;
    private final DoubleSupplier random;

    /**
     * @param random a source of uniform values in [0, 1): the seam that lets tests pin the jitter
     */
    public ReconnectPolicy(long initialDelayMs, long maxDelayMs, double multiplier, DoubleSupplier random) {
        if (initialDelayMs < 1 || maxDelayMs < initialDelayMs || multiplier < 1.0) {
            throw new IllegalArgumentException("need 1 <= initialDelayMs <= maxDelayMs and multiplier >= 1");
        }
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.multiplier = multiplier;
        this.random = random;
    }

    /** The upper end of attempt {@code attempt}'s window: {@code min(max, initial * multiplier^attempt)}. */
    public long ceilingMs(int attempt) {
        double ceiling = initialDelayMs * Math.pow(multiplier, Math.max(0, attempt));
        return ceiling >= maxDelayMs || Double.isInfinite(ceiling) ? maxDelayMs : (long) ceiling;
    }

    /** A random wait before attempt {@code attempt}, within {@code [0, ceilingMs(attempt)]}. */
    public long delayMs(int attempt) {
        double r = random.getAsDouble();
        return Math.min(ceilingMs(attempt), (long) Math.floor(r * (ceilingMs(attempt) + 1)));
    }

    public long maxDelayMs() {
        return maxDelayMs;
    }
}
