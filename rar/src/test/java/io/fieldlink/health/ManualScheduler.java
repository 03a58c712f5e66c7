package io.fieldlink.health;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Scheduler} on a clock the test drives: nothing runs until the test says so, and time
 * only moves when the test advances it. Tasks may be scheduled from any thread (event loops report
 * connects and failures); {@link #awaitScheduled} waits for such an event instead of sleeping.
 */
final class ManualScheduler implements Scheduler {

    private record Pending(long dueMs, long order, Runnable task, long delayMs) {
    }

    private final PriorityQueue<Pending> queue = new PriorityQueue<>((a, b) -> a.dueMs != b.dueMs
            ? Long.compare(a.dueMs, b.dueMs) : Long.compare(a.order, b.order));
    private final List<Long> delays = new ArrayList<>();
    private long nowMs;
    private long scheduled;

    @Override
    public synchronized Task schedule(Runnable task, long delayMs) {
        Pending p = new Pending(nowMs + delayMs, scheduled++, task, delayMs);
        queue.add(p);
        delays.add(delayMs);
        notifyAll();
        return () -> {
            synchronized (this) {
                queue.remove(p);
            }
        };
    }

    /** How many tasks were ever scheduled. */
    synchronized long scheduledCount() {
        return scheduled;
    }

    /** The delays of every task scheduled so far, in order. */
    synchronized List<Long> delays() {
        return List.copyOf(delays);
    }

    /** Waits (real time, bounded) until more than {@code count} tasks were ever scheduled: an event happened. */
    synchronized void awaitScheduled(long count, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (scheduled <= count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("nothing was scheduled within " + timeoutMs + " ms (" + scheduled + " so far)");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Runs every task due now, including ones they schedule for now. */
    void runDue() {
        while (true) {
            Pending next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.dueMs > nowMs) {
                    return;
                }
                queue.poll();
            }
            next.task.run();
        }
    }

    /** Moves the clock on by {@code ms}, running what falls due on the way, in order. */
    void advance(long ms) {
        long target;
        synchronized (this) {
            target = nowMs + ms;
        }
        while (true) {
            Pending next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.dueMs > target) {
                    nowMs = target;
                    return;
                }
                nowMs = Math.max(nowMs, next.dueMs);
            }
            runDue();
        }
    }

    /** The delay of the next pending task, or -1. */
    synchronized long nextDelay() {
        Pending p = queue.peek();
        return p == null ? -1 : p.dueMs - nowMs;
    }
}
