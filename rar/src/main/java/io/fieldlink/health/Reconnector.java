package io.fieldlink.health;

/**
 * The reconnect schedule of one DOWN device: how many attempts the outage has cost so far and when
 * the next one runs ({@link ReconnectPolicy}: exponential backoff with full jitter). Attempts only
 * reset when the device is UP again: a device that accepts and drops every connection sees its
 * backoff grow to the maximum instead of being hammered.
 *
 * <pre>{@code
 * Reconnector reconnector = new Reconnector(policy, scheduler);
 * reconnector.scheduleNext(this::attemptReconnect);   // waits policy.delayMs(attempts)
 * reconnector.attemptStarted();                      // in the attempt
 * reconnector.reset();                               // UP again
 * }</pre>
 *
 * <p>Not thread-safe: the device's lock guards it.
 */
final class Reconnector {

    private final ReconnectPolicy policy;
    private final Scheduler scheduler;
    private int attempts;
    private Scheduler.Task next;

    Reconnector(ReconnectPolicy policy, Scheduler scheduler) {
        this.policy = policy;
        this.scheduler = scheduler;
    }

    void scheduleNext(Runnable attempt) {
        cancel();
        next = scheduler.schedule(attempt, policy.delayMs(attempts));
    }

    void attemptStarted() {
        attempts++;
        next = null;
    }

    int attempts() {
        return attempts;
    }

    void reset() {
        cancel();
        attempts = 0;
    }

    void cancel() {
        if (next != null) {
            next.cancel();
            next = null;
        }
    }
}
