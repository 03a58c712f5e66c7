package io.fieldlink.spi;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.metrics.DeviceMeter;
import io.fieldlink.transport.DeviceLink;
import io.fieldlink.transport.NotDeliveredException;

import java.time.Duration;

/**
 * The {@link DeviceConnection} an application holds. Its first I/O borrows one of the device's
 * connections (waiting in line behind earlier callers if all are in use, at most {@code maxWaitMs});
 * {@link #close()} gives it back. Valid until the application closes it or the container cleans up
 * its managed connection; afterwards every call fails with a clear message.
 */
final class DeviceConnectionHandle implements DeviceConnection {

    private volatile DeviceManagedConnection mc;
    /** The device this handle was obtained for; it never changes, whichever managed connection carries it. */
    private final String deviceId;
    private volatile boolean closed;
    private volatile boolean invalidated;
    /** Set when the pool destroyed the managed connection (not an application error): why. */
    private volatile String destroyedBecause;

    DeviceConnectionHandle(DeviceManagedConnection mc, String deviceId) {
        this.mc = mc;
        this.deviceId = deviceId;
    }

    /** One exchange on the borrowed link. */
    private interface Exchange<T> {
        T on(DeviceLink link, DeviceManagedConnection mc) throws DeviceException;
    }

    /** A request that never left (the connection was closed under it) goes out again on another one, this often. */
    private static final int ATTEMPTS_WHEN_NOT_SENT = 3;

    /** The calls that reach the device, as its meter counts them. */
    private enum Call {
        REQUEST, SEND,
        /** A receive() that heard nothing is not an error: a device may simply have had nothing to say. */
        RECEIVE;

        void failed(DeviceMeter meter, DeviceException e) {
            if (this != RECEIVE || !(e instanceof DeviceTimeoutException)) {
                meter.failed(e);
            }
        }
    }

    /**
     * Runs {@code body} on the borrowed link. Every {@link DeviceException} the caller gets from here
     * (a wait for a link included) is counted in the device's meter by kind, and every request.
     */
    private <T> T exchange(Call call, Exchange<T> body) throws DeviceException {
        DeviceManagedConnection current = usable();
        DeviceMeter meter = current.health().meter(); // the handle's device: it cannot change while a handle is out
        if (call == Call.REQUEST) {
            meter.requestStarted();
        }
        DeviceLink link;
        try {
            link = current.enter(this, call == Call.REQUEST);
        } catch (DeviceException e) {
            call.failed(meter, e);
            throw e;
        }
        T result;
        try {
            result = body.on(link, current);
        } catch (DeviceException e) {
            current.exit();
            call.failed(meter, e);
            throw e;
        } catch (RuntimeException | Error e) {
            current.exit();
            throw e;
        }
        if (current.exit()) {
            // the container took the connection back while we used it: the answer may be fine, but
            // the application's use of the connection is broken, and must hear so
            throw new IllegalStateException("the container cleaned up the connection to " + current.deviceId()
                    + " while it was in use; do not use a DeviceConnection after its transaction or request ended");
        }
        return result;
    }

    @Override
    public byte[] request(byte[] frame, Duration timeout) throws DeviceException {
        long ms = timeoutMs(timeout);
        return exchange(Call.REQUEST, (link, mc) -> {
            // the caller's timeout covers every attempt together (not the wait in line for a connection),
            // and so does its latency: from here, a link in hand, to the answer, resends included
            long start = System.nanoTime();
            long deadline = start + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(ms);
            DeviceLink l = link;
            for (int attempt = 1; ; attempt++) {
                try {
                    long left = attempt == 1 ? ms
                            : Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                    byte[] answer = l.request(frame, left, mc.isSlot(l));
                    long end = System.nanoTime();
                    mc.health().meter().requestAnswered(end - start, end);
                    return answer;
                } catch (NotDeliveredException notSent) {
                    // e.g. the device closed this idle connection as we borrowed it: nothing reached
                    // it, so another connection may carry the request without doing anything twice
                    if (attempt == ATTEMPTS_WHEN_NOT_SENT || System.nanoTime() - deadline >= 0) {
                        throw notSent;
                    }
                    l = mc.replaceLink();
                }
            }
        });
    }

    @Override
    public void send(byte[] frame) throws DeviceException {
        exchange(Call.SEND, (link, mc) -> {
            link.send(frame);
            return null;
        });
    }

    @Override
    public byte[] receive(Duration timeout) throws DeviceException {
        long ms = timeoutMs(timeout);
        return exchange(Call.RECEIVE, (link, mc) -> link.receive(ms));
    }

    @Override
    public String deviceId() {
        return deviceId;
    }

    @Override
    public void close() {
        if (closed || invalidated) {
            return;
        }
        closed = true;
        mc.handleClosed(this);
    }

    private DeviceManagedConnection usable() throws DeviceException {
        DeviceManagedConnection current = mc;
        String gone = destroyedBecause;
        if (invalidated && gone != null) {
            throw new ConnectionLostException(current.deviceId(), current.health().device().address(), gone, null);
        }
        if (invalidated) {
            throw new IllegalStateException("the container cleaned up this connection to " + current.deviceId()
                    + "; get a new one from the factory");
        }
        if (closed) {
            throw new DeviceException(current.deviceId(), current.health().device().address(),
                    "this connection handle is closed; get a new one from the factory");
        }
        return current;
    }

    private long timeoutMs(Duration timeout) {
        if (timeout == null) {
            return mc.health().settings().requestTimeoutMs();
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        return Math.max(1, timeout.toMillis());
    }

    /** Moves this handle to another managed connection (container's associateConnection). */
    DeviceManagedConnection reassociate(DeviceManagedConnection to) {
        DeviceManagedConnection from = mc;
        mc = to;
        closed = false;
        invalidated = false;
        destroyedBecause = null;
        return from == to ? null : from;
    }

    /** The container cleaned up ({@code destroyedBecause == null}: further use is a bug) or destroyed the connection. */
    void invalidate(String destroyedBecause) {
        this.destroyedBecause = destroyedBecause;
        invalidated = true;
    }

    @Override
    public String toString() {
        return "DeviceConnection[" + mc.deviceId() + (closed ? ", closed]" : invalidated ? ", cleaned up]" : "]");
    }
}
