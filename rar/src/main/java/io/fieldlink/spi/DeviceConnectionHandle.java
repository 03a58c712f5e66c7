package io.fieldlink.spi;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceException;
import io.fieldlink.transport.DeviceLink;

import java.time.Duration;

/**
 * The {@link DeviceConnection} an application holds. Valid until the application closes it or the
 * container cleans up its managed connection; afterwards every call fails with a clear message.
 */
final class DeviceConnectionHandle implements DeviceConnection {

    private volatile DeviceManagedConnection mc;
    private volatile boolean closed;

    DeviceConnectionHandle(DeviceManagedConnection mc) {
        this.mc = mc;
    }

    @Override
    public byte[] request(byte[] frame, Duration timeout) throws DeviceException {
        return link().request(frame, timeoutMs(timeout));
    }

    @Override
    public void send(byte[] frame) throws DeviceException {
        link().send(frame);
    }

    @Override
    public byte[] receive(Duration timeout) throws DeviceException {
        return link().receive(timeoutMs(timeout));
    }

    @Override
    public String deviceId() {
        return mc.deviceId();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        mc.handleClosed(this);
    }

    private DeviceLink link() throws DeviceException {
        DeviceManagedConnection current = mc;
        if (closed) {
            throw new DeviceException(current.deviceId(), current.health().device().address(),
                    "this connection handle is closed; get a new one from the factory");
        }
        return current.link();
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
        return from == to ? null : from;
    }

    void invalidate() {
        closed = true;
    }

    @Override
    public String toString() {
        return "DeviceConnection[" + mc.deviceId() + (closed ? ", closed]" : "]");
    }
}
