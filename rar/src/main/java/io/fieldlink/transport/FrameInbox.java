package io.fieldlink.transport;

import io.fieldlink.metrics.DeviceMeter;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Frames that arrived while no request was waiting for an answer (unsolicited frames, answers to
 * {@code send()}), handed from the event loop to the one application thread that borrows the
 * connection, for {@code receive()}.
 *
 * <p>Each frame carries the lease it arrived in: a borrower only ever reads frames from its own
 * lease, without a hand-off to the event loop when it borrows. Bounded: a device that streams frames
 * nobody reads costs at most {@code capacity} frames of at most {@code maxFrameLength} bytes each;
 * beyond that the oldest are dropped and counted, because the oldest unread frame is the least useful.
 * Every frame thrown away unread (overflow, cleared before a request, left by an earlier borrower)
 * is counted in the device's {@link DeviceMeter}.
 */
final class FrameInbox {

    private final int capacity;
    private final ArrayDeque<Entry> frames;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final DeviceMeter meter;
    private LinkFailure failure;

    FrameInbox(int capacity, DeviceMeter meter) {
        this.capacity = capacity;
        this.meter = meter;
        this.frames = new ArrayDeque<>(Math.min(capacity, 16));
    }

    /** A frame, the lease it arrived in, and its number among the link's unanswered frames. */
    record Entry(long lease, long seq, byte[] frame) {
    }

    /** Adds a frame that arrived during {@code lease} (event loop). Returns {@code true} if an older frame had to be dropped for it. */
    boolean offer(long lease, long seq, byte[] frame) {
        lock.lock();
        try {
            boolean overflow = frames.size() >= capacity;
            if (overflow) {
                frames.pollFirst();
                meter.framesDiscarded(1);
            }
            frames.addLast(new Entry(lease, seq, frame));
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
            meter.framesDiscarded(n);
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next frame of lease {@code lease} or later, waiting at most {@code timeoutNanos}; frames
     * of earlier leases are discarded on the way.
     *
     * @return the frame, or {@code null} on timeout
     * @throws LinkFailedException if the link failed and no frame is left
     */
    Entry take(long lease, long timeoutNanos) throws InterruptedException, LinkFailedException {
        lock.lock();
        try {
            long remaining = timeoutNanos;
            while (true) {
                while (!frames.isEmpty() && frames.peekFirst().lease() < lease) {
                    frames.pollFirst(); // arrived for an earlier borrower, who never read it
                    meter.framesDiscarded(1);
                }
                if (!frames.isEmpty()) {
                    return frames.pollFirst();
                }
                if (failure != null) {
                    throw new LinkFailedException(failure);
                }
                if (remaining <= 0) {
                    return null;
                }
                remaining = changed.awaitNanos(remaining);
            }
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
