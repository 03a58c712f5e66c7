package io.fieldlink.health;

/**
 * Where the device health runs its timers (settle time, reconnect backoff) and its connects: the one
 * seam for time-driven work, so that a test can run it on a clock it drives.
 *
 * <p>Contract: tasks run one at a time per scheduler thread, never on the caller's thread, and never
 * while the caller holds a lock it took before calling; a task that throws is logged, not lost silently.
 *
 * <pre>{@code
 * Scheduler.Task settle = scheduler.schedule(() -> settled(link), 300);
 * settle.cancel();                                  // harmless if it already ran
 * }</pre>
 */
public interface Scheduler {

    /** Runs {@code task} after {@code delayMs} (0: as soon as possible, but not on this thread). */
    Task schedule(Runnable task, long delayMs);

    /** A scheduled task. */
    interface Task {
        void cancel();
    }
}
