package io.fieldlink.metrics;

import io.fieldlink.api.DeviceException;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one device that outlive its connections: requests and their latency, errors by
 * {@link ErrorKind}, and frames the transport could not hand to anyone. Application threads count
 * requests and errors; the device's event loops count frames.
 *
 * <pre>{@code
 * DeviceMeter meter = health.meter();
 * meter.requestStarted();
 * long start = System.nanoTime();
 * try {
 *     byte[] answer = link.request(frame, 2_000);
 *     long end = System.nanoTime();
 *     meter.requestAnswered(end - start, end);
 * } catch (DeviceException e) {
 *     meter.failed(e);                           // counted by kind: timeout, lost, down, busy, other
 *     throw e;
 * }
 * }</pre>
 *
 * <p>Contract of every counting method: fast, no lock, no allocation (a {@link LongAdder} only
 * allocates its cells once, when threads first contend), never throws. Safe from any thread.
 */
public final class DeviceMeter {

    private final LongAdder requests = new LongAdder();
    private final LongAdder[] errors = new LongAdder[ErrorKind.values().length];
    private final LatencyHistogram latency;
    private final LongAdder unsolicitedFrames = new LongAdder();
    private final LongAdder framesDiscarded = new LongAdder();
    private final LongAdder oversizeFrames = new LongAdder();
    private final LongAdder malformedFrames = new LongAdder();
    private final LongAdder partialFramesDiscarded = new LongAdder();

    /** Counters from zero; the latency window's periods count from now, on {@link System#nanoTime()}. */
    public DeviceMeter() {
        // the callers time requests with System.nanoTime(), so the window runs on it too
        this.latency = new LatencyHistogram(System.nanoTime());
        for (int i = 0; i < errors.length; i++) {
            errors[i] = new LongAdder();
        }
    }

    // ---- application threads

    /** A {@code request()} call begins (whatever its outcome will be). */
    public void requestStarted() {
        requests.increment();
    }

    /** A request got its answer after {@code latencyNanos}; {@code nowNanos} is {@link System#nanoTime()} at the end. */
    public void requestAnswered(long latencyNanos, long nowNanos) {
        latency.record(latencyNanos, nowNanos);
    }

    /** A caller of this device got {@code e} (from getConnection, request, send or receive). */
    public void failed(DeviceException e) {
        errors[ErrorKind.of(e).ordinal()].increment();
    }

    // ---- event loops

    /** A frame arrived that answered no request (stray, unsolicited, late, an id no request holds). */
    public void unsolicitedFrame() {
        unsolicitedFrames.increment();
    }

    /** {@code n} unanswered frames were thrown away unread (inbox full, older than a request or a borrower). */
    public void framesDiscarded(int n) {
        if (n > 0) {
            framesDiscarded.add(n);
        }
    }

    /** The device sent a frame over {@code maxFrameLength}; its connection was closed. */
    public void oversizeFrame() {
        oversizeFrames.increment();
    }

    /** The device sent bytes the framing cannot decode (e.g. a negative length); its connection was closed. */
    public void malformedFrame() {
        malformedFrames.increment();
    }

    /** A connection closed while its decoder held the start of a frame that never ended. */
    public void partialFrameDiscarded() {
        partialFramesDiscarded.increment();
    }

    // ---- readers

    public long requests() {
        return requests.sum();
    }

    public long errors(ErrorKind kind) {
        return errors[kind.ordinal()].sum();
    }

    public LatencyHistogram latency() {
        return latency;
    }

    public long unsolicitedFrames() {
        return unsolicitedFrames.sum();
    }

    public long framesDiscarded() {
        return framesDiscarded.sum();
    }

    public long oversizeFrames() {
        return oversizeFrames.sum();
    }

    public long malformedFrames() {
        return malformedFrames.sum();
    }

    public long partialFramesDiscarded() {
        return partialFramesDiscarded.sum();
    }
}
