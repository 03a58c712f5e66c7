package io.fieldlink.spi;

import io.fieldlink.health.DeviceHealth;
import io.fieldlink.health.HealthMonitor;
import io.fieldlink.transport.DeviceLink;
import io.fieldlink.transport.LinkFailure;
import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionMetaData;
import jakarta.resource.spi.ResourceAllocationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.security.auth.Subject;
import javax.transaction.xa.XAResource;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One pooled physical connection, as the container's pool sees it: one {@link DeviceLink}.
 *
 * <p>When the link fails (keepalive, user timeout, heartbeat, reset, request timeout, or its device
 * going DOWN) this connection fires {@code CONNECTION_ERROR_OCCURRED} exactly once, from the
 * adapter's health thread, whether or not an application holds a handle: the pool then destroys it
 * instead of handing a dead connection to the next caller. It never fires from
 * {@code matchManagedConnections}, which only skips unusable connections.
 */
final class DeviceManagedConnection implements ManagedConnection {

    private static final Logger log = LoggerFactory.getLogger(DeviceManagedConnection.class);

    private final DeviceManagedConnectionFactory mcf;
    private final DeviceHealth health;
    private final DeviceLink link;
    private final HealthMonitor monitor;
    private final List<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();
    private final List<DeviceConnectionHandle> handles = new ArrayList<>();
    private final AtomicBoolean errorFired = new AtomicBoolean();
    private volatile boolean destroyed;
    private PrintWriter logWriter;

    DeviceManagedConnection(DeviceManagedConnectionFactory mcf, DeviceHealth health, DeviceLink link,
                            HealthMonitor monitor) {
        this.mcf = mcf;
        this.health = health;
        this.link = link;
        this.monitor = monitor;
        link.onFailure(f -> {
            if (f.isError() && !destroyed) {
                monitor.execute(() -> fireError(f));
            }
        });
    }

    String deviceId() {
        return health.device().id();
    }

    DeviceManagedConnectionFactory factory() {
        return mcf;
    }

    DeviceHealth health() {
        return health;
    }

    DeviceLink link() {
        return link;
    }

    /** Usable: link open and device UP. The validating factory reports connections that are not. */
    boolean isUsable() {
        return !destroyed && link.isUsable() && health.isUp();
    }

    @Override
    public Object getConnection(Subject subject, ConnectionRequestInfo cri) throws ResourceException {
        String wanted = cri instanceof DeviceRequestInfo dri ? dri.deviceId() : deviceId();
        if (!wanted.equals(deviceId())) {
            // The container handed us a connection to another device: its pool does not match
            // connections. Refuse rather than talk to the wrong device.
            throw new ResourceAllocationException("pooled connection is to device " + deviceId() + ", not "
                    + wanted + ": a pool serving several devices needs connection matching "
                    + "(Payara/GlassFish: --matchconnections=true)");
        }
        if (!isUsable()) {
            throw new ResourceAllocationException("connection to device " + deviceId() + " is no longer usable: "
                    + (link.failure() == null ? "device down" : link.failure().reason()));
        }
        DeviceConnectionHandle handle = new DeviceConnectionHandle(this);
        synchronized (handles) {
            handles.add(handle);
        }
        link.lease(true);
        return handle;
    }

    @Override
    public void associateConnection(Object connection) throws ResourceException {
        if (!(connection instanceof DeviceConnectionHandle handle)) {
            throw new ResourceException("not a FieldLink connection handle: " + connection);
        }
        DeviceManagedConnection previous = handle.reassociate(this);
        if (previous != null) {
            previous.forget(handle);
        }
        synchronized (handles) {
            handles.add(handle);
        }
        link.lease(true);
    }

    /** A handle was closed by the application: tell the pool it can take the connection back. */
    void handleClosed(DeviceConnectionHandle handle) {
        forget(handle);
        if (destroyed) {
            return;
        }
        ConnectionEvent event = new ConnectionEvent(this, ConnectionEvent.CONNECTION_CLOSED);
        event.setConnectionHandle(handle);
        for (ConnectionEventListener l : listeners) {
            l.connectionClosed(event);
        }
    }

    private void forget(DeviceConnectionHandle handle) {
        synchronized (handles) {
            handles.remove(handle);
            if (handles.isEmpty()) {
                link.lease(false);
            }
        }
    }

    private void fireError(LinkFailure f) {
        // no listener yet (the container has not registered): addConnectionEventListener replays it
        if (destroyed || listeners.isEmpty() || !errorFired.compareAndSet(false, true)) {
            return;
        }
        log.debug("Connection to {} failed ({}); telling the pool", deviceId(), f.reason());
        ConnectionEvent event = new ConnectionEvent(this, ConnectionEvent.CONNECTION_ERROR_OCCURRED,
                new ResourceException("device " + deviceId() + " (" + health.device().address() + "): " + f.reason(),
                        f.cause()));
        DeviceConnectionHandle handle;
        synchronized (handles) {
            handle = handles.isEmpty() ? null : handles.get(0);
        }
        event.setConnectionHandle(handle);
        for (ConnectionEventListener l : listeners) {
            try {
                l.connectionErrorOccurred(event);
            } catch (RuntimeException e) {
                log.warn("Pool listener failed on the error event of a connection to {}", deviceId(), e);
            }
        }
    }

    @Override
    public void cleanup() {
        List<DeviceConnectionHandle> open;
        synchronized (handles) {
            open = new ArrayList<>(handles);
            handles.clear();
        }
        open.forEach(DeviceConnectionHandle::invalidate);
        link.discardUnread();
        link.lease(false);
    }

    @Override
    public void destroy() {
        destroyed = true;
        cleanup();
        health.release(link);
    }

    @Override
    public void addConnectionEventListener(ConnectionEventListener listener) {
        listeners.add(listener);
        LinkFailure f = link.failure();
        if (f != null && f.isError() && !destroyed) {
            // the link died before the pool listened: tell it now, or it keeps a dead connection
            monitor.execute(() -> fireError(f));
        }
    }

    @Override
    public void removeConnectionEventListener(ConnectionEventListener listener) {
        listeners.remove(listener);
    }

    @Override
    public XAResource getXAResource() throws ResourceException {
        throw new NotSupportedException("FieldLink connections are not transactional");
    }

    @Override
    public LocalTransaction getLocalTransaction() throws ResourceException {
        throw new NotSupportedException("FieldLink connections are not transactional");
    }

    @Override
    public ManagedConnectionMetaData getMetaData() {
        return new DeviceConnectionMetaData(health);
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public String toString() {
        return "DeviceManagedConnection[" + link + "]";
    }
}
