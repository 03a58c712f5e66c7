package io.fieldlink.transport;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Frames received from a device and not read yet, handed from the event loop to the one
 * application thread that uses the connection.
 *
 * <p>Bounded: a device that streams frames nobody reads costs at most {@code capacity} frames of at
 * most {@code maxFrameLength} bytes each; beyond that the oldest are dropped and counted, because
 * for request/response use the oldest unread frame is the least useful one.
 */
final class FrameInbox {

    private final int capacity;
    private final ArrayDeque<byte[]> frames;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private LinkFailure failure;
    private long dropped;

    FrameInbox(int capacity) {
        this.capacity = capacity;
        this.frames = new ArrayDeque<>(Math.min(capacity, 16));
    }

    /** Adds a frame (event loop). Returns {@code true} if an older frame had to be dropped for it. */
    boolean offer(byte[] frame) {
        lock.lock();
        try {
            boolean overflow = frames.size() >= capacity;
            if (overflow) {
                frames.pollFirst();
                dropped++;
            }
            frames.addLast(frame);
            changed.signalAll();
            return overflow;
        } finally {
            lock.unlock();
        }
    }

    /** Marks the inbox failed: frames still queued are delivered first, then waiters get the failure. */
    void fail(LinkFailure f) {
        lock.lock();
        try {
            if (failure == null) {
                failure = f;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes waiters so they re-check a condition they watch (writability). */
    void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops unread frames; returns how many. */
    int clear() {
        lock.lock();
        try {
            int n = frames.size();
            frames.clear();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next frame, waiting at most {@code timeoutNanos}.
     *
     * @return the frame, or {@code null} on timeout
     * @throws LinkFailedException if the link failed and no frame is left
     */
    byte[] take(long timeoutNanos) throws InterruptedException, LinkFailedException {
        lock.lock();
        try {
            long remaining = timeoutNanos;
            while (frames.isEmpty()) {
                if (failure != null) {
                    throw new LinkFailedException(failure);
                }
                if (remaining <= 0) {
                    return null;
                }
                remaining = changed.awaitNanos(remaining);
            }
            return frames.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code ready} holds, the link fails, or the time is up; returns whether {@code ready} holds. */
    boolean awaitReady(java.util.function.BooleanSupplier ready, long timeoutNanos)
            throws InterruptedException, LinkFailedException {
        long deadline = System.nanoTime() + timeoutNanos;
        lock.lock();
        try {
            while (!ready.getAsBoolean()) {
                if (failure != null) {
                    throw new LinkFailedException(failure);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // writability changes are signalled; the short cap guards against a signal sent
                // between the check above and the wait
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Thrown inside the transport when a link failed while a caller waited on it. */
    static final class LinkFailedException extends Exception {
        private static final long serialVersionUID = 1L;
        final transient LinkFailure failure;

        LinkFailedException(LinkFailure failure) {
            super(failure.reason(), null, false, false);
            this.failure = failure;
        }
    }
}
