package io.fieldlink.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one log line through per interval and counts the ones it held back, so that a device that
 * misbehaves a thousand times a second costs one line every few seconds, not the server's log.
 *
 * <pre>{@code
 * LogLimiter unsolicited = new LogLimiter(10_000);
 * long held = unsolicited.permit(System.nanoTime());
 * if (held >= 0) log.warn("{}: unsolicited frame dropped ({} more since the last warning)", link, held);
 * }</pre>
 */
public final class LogLimiter {

    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong held = new AtomicLong();

    public LogLimiter(long intervalMs) {
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    }

    /**
     * {@code -1} if this event must not be logged (it is counted), otherwise how many events were
     * held back since the last one logged.
     */
    public long permit(long nowNanos) {
        long next = nextAllowed.get();
        if ((next == Long.MIN_VALUE || nowNanos - next >= 0) && nextAllowed.compareAndSet(next, nowNanos + intervalNanos)) {
            return held.getAndSet(0);
        }
        held.incrementAndGet();
        return -1;
    }
}
