package io.fieldlink.spi;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.ResourceAllocationException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The connection manager used when no application server manages connections (plain Java SE,
 * tests, benchmarks). It plays the container's part and nothing more: it keeps idle managed
 * connections (logical, socket-free) for reuse and drops the ones that report an error. Waiting for
 * a busy device happens where it happens in a server too, in the device's own fair line
 * ({@code maxWaitMs}), so both modes follow one rule.
 */
final class StandaloneConnectionManager implements ConnectionManager, ConnectionEventListener {

    private static final long serialVersionUID = 1L;

    private final transient DeviceManagedConnectionFactory mcf;
    private final transient Map<String, Deque<DeviceManagedConnection>> idle = new ConcurrentHashMap<>();
    private final transient Set<DeviceManagedConnection> inUse = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    StandaloneConnectionManager(DeviceManagedConnectionFactory mcf) {
        this.mcf = mcf;
    }

    @Override
    public Object allocateConnection(ManagedConnectionFactory factory, ConnectionRequestInfo cri) throws ResourceException {
        if (closed) {
            throw new ResourceAllocationException("the standalone FieldLink factory is closed");
        }
        String deviceId = ((DeviceRequestInfo) cri).deviceId();
        Deque<DeviceManagedConnection> free = idle.computeIfAbsent(deviceId, id -> new ArrayDeque<>());
        DeviceManagedConnection mc;
        synchronized (free) {
            mc = free.pollFirst();
        }
        if (mc == null || !mc.isUsable()) {
            if (mc != null) {
                mc.destroy();
            }
            mc = (DeviceManagedConnection) mcf.createManagedConnection(null, cri);
            mc.addConnectionEventListener(this);
        }
        inUse.add(mc);
        try {
            return mc.getConnection(null, cri);
        } catch (ResourceException e) {
            inUse.remove(mc);
            mc.destroy();
            throw e;
        }
    }

    @Override
    public void connectionClosed(ConnectionEvent event) {
        DeviceManagedConnection mc = (DeviceManagedConnection) event.getSource();
        if (!inUse.remove(mc)) {
            return;
        }
        mc.cleanup();
        if (closed || !mc.isUsable()) {
            mc.destroy();
            return;
        }
        Deque<DeviceManagedConnection> free = idle.computeIfAbsent(mc.deviceId(), id -> new ArrayDeque<>());
        synchronized (free) {
            free.addFirst(mc);
        }
    }

    @Override
    public void connectionErrorOccurred(ConnectionEvent event) {
        DeviceManagedConnection mc = (DeviceManagedConnection) event.getSource();
        inUse.remove(mc);
        Deque<DeviceManagedConnection> free = idle.get(mc.deviceId());
        if (free != null) {
            synchronized (free) {
                free.remove(mc);
            }
        }
        mc.destroy();
    }

    @Override
    public void localTransactionStarted(ConnectionEvent event) {
    }

    @Override
    public void localTransactionCommitted(ConnectionEvent event) {
    }

    @Override
    public void localTransactionRolledback(ConnectionEvent event) {
    }

    /** Destroys every managed connection; handles still out fail on their next call. */
    void close() {
        closed = true;
        List<DeviceManagedConnection> all = new ArrayList<>(inUse);
        inUse.clear();
        for (Deque<DeviceManagedConnection> free : idle.values()) {
            synchronized (free) {
                all.addAll(free);
                free.clear();
            }
        }
        all.forEach(DeviceManagedConnection::destroy);
    }
}
