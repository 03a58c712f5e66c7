package io.fieldlink.notice;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Notices waiting to be sent, in the order the edges happened. Bounded: when the broker is away
 * for long and {@code capacity} notices wait, the oldest is dropped for the newest, counted and
 * reported (subscribers also see the gap in {@code sequence}). The newest is kept because it holds
 * the state a subscriber most needs to know.
 *
 * <p>The publisher {@link #peek}s the head, sends it, and {@link #remove}s it only after the send
 * succeeded: a failed send leaves it at the head, so order survives retries.
 */
public final class NoticeOutbox {

    private final int capacity;
    private final ArrayDeque<Notice> queue;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private long dropped;

    public NoticeOutbox(int capacity) {
        this.capacity = capacity;
        this.queue = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /** Adds a notice without blocking; returns the notice dropped to make room, or {@code null}. */
    public Notice offer(Notice n) {
        lock.lock();
        try {
            Notice evicted = null;
            if (queue.size() >= capacity) {
                evicted = queue.pollFirst();
                dropped++;
            }
            queue.addLast(n);
            notEmpty.signalAll();
            return evicted;
        } finally {
            lock.unlock();
        }
    }

    /** The oldest notice, waiting at most {@code timeoutMs}; {@code null} if none came. */
    public Notice peek(long timeoutMs) throws InterruptedException {
        lock.lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (queue.isEmpty()) {
                if (left <= 0) {
                    return null;
                }
                left = notEmpty.awaitNanos(left);
            }
            return queue.peekFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Removes {@code n} if it is still the head (it may have been dropped by an overflow meanwhile). */
    public void remove(Notice n) {
        lock.lock();
        try {
            if (queue.peekFirst() == n) {
                queue.pollFirst();
            }
        } finally {
            lock.unlock();
        }
    }

    /** How many notices it keeps before dropping the oldest. */
    public int capacity() {
        return capacity;
    }

    public int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Empties the outbox, returning what was left (for the shutdown log). */
    public List<Notice> drain() {
        lock.lock();
        try {
            List<Notice> left = List.copyOf(queue);
            queue.clear();
            return left;
        } finally {
            lock.unlock();
        }
    }
}
