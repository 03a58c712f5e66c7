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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The adapter's own small pool, used when no application server manages connections (plain Java SE,
 * tests, benchmarks). Per device: at most {@code maxConnectionsPerDevice} connections in use, the
 * idle ones kept most-recently-used first; a connection whose link fails leaves the pool through the
 * same {@code CONNECTION_ERROR_OCCURRED} event a container would get.
 */
final class StandaloneConnectionManager implements ConnectionManager, ConnectionEventListener {

    private static final long serialVersionUID = 1L;

    private final transient DeviceManagedConnectionFactory mcf;
    private final transient Map<String, Slot> slots = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** One device's share of the pool. */
    private static final class Slot {
        final Semaphore inUse;
        final Deque<DeviceManagedConnection> idle = new ArrayDeque<>();
        final Set<DeviceManagedConnection> leased = ConcurrentHashMap.newKeySet();

        Slot(int max) {
            inUse = new Semaphore(max, true);
        }
    }

    StandaloneConnectionManager(DeviceManagedConnectionFactory mcf) {
        this.mcf = mcf;
    }

    @Override
    public Object allocateConnection(ManagedConnectionFactory factory, ConnectionRequestInfo cri) throws ResourceException {
        if (closed) {
            throw new ResourceAllocationException("the standalone FieldLink factory is closed");
        }
        PoolRuntime pool = mcf.pool();
        String deviceId = ((DeviceRequestInfo) cri).deviceId();
        int max = pool.config().maxConnectionsPerDevice();
        Slot slot = slots.computeIfAbsent(deviceId, id -> new Slot(max));
        int waitMs = pool.config().link().connectTimeoutMs();
        try {
            if (!slot.inUse.tryAcquire(waitMs, TimeUnit.MILLISECONDS)) {
                throw new ResourceAllocationException("all " + max + " connection(s) to device " + deviceId
                        + " stayed in use for " + waitMs + " ms (maxConnectionsPerDevice=" + max + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResourceAllocationException("interrupted while waiting for a connection to " + deviceId);
        }
        try {
            DeviceManagedConnection mc;
            while ((mc = pollIdle(slot)) != null) {
                if (mc.isUsable()) {
                    return lease(slot, mc, cri);
                }
                destroyQuietly(mc);
            }
            mc = (DeviceManagedConnection) mcf.createManagedConnection(null, cri);
            mc.addConnectionEventListener(this);
            return lease(slot, mc, cri);
        } catch (ResourceException | RuntimeException e) {
            slot.inUse.release();
            throw e;
        }
    }

    private Object lease(Slot slot, DeviceManagedConnection mc, ConnectionRequestInfo cri) throws ResourceException {
        slot.leased.add(mc);
        try {
            return mc.getConnection(null, cri);
        } catch (ResourceException e) {
            slot.leased.remove(mc);
            destroyQuietly(mc);
            throw e;
        }
    }

    private static DeviceManagedConnection pollIdle(Slot slot) {
        synchronized (slot.idle) {
            return slot.idle.pollFirst();
        }
    }

    @Override
    public void connectionClosed(ConnectionEvent event) {
        DeviceManagedConnection mc = (DeviceManagedConnection) event.getSource();
        Slot slot = slots.get(mc.deviceId());
        if (slot == null || !slot.leased.remove(mc)) {
            return;
        }
        mc.cleanup();
        if (!closed && mc.isUsable()) {
            synchronized (slot.idle) {
                slot.idle.addFirst(mc);
            }
        } else {
            destroyQuietly(mc);
        }
        slot.inUse.release();
    }

    @Override
    public void connectionErrorOccurred(ConnectionEvent event) {
        DeviceManagedConnection mc = (DeviceManagedConnection) event.getSource();
        Slot slot = slots.get(mc.deviceId());
        if (slot == null) {
            return;
        }
        boolean wasLeased = slot.leased.remove(mc);
        synchronized (slot.idle) {
            slot.idle.remove(mc);
        }
        destroyQuietly(mc);
        if (wasLeased) {
            slot.inUse.release();
        }
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

    private static void destroyQuietly(DeviceManagedConnection mc) {
        mc.destroy();
    }

    /** Destroys every pooled connection; handles still out fail on their next call. */
    void close() {
        closed = true;
        List<DeviceManagedConnection> all = new ArrayList<>();
        for (Slot slot : slots.values()) {
            synchronized (slot.idle) {
                all.addAll(slot.idle);
                slot.idle.clear();
            }
            all.addAll(slot.leased);
            slot.leased.clear();
        }
        all.forEach(StandaloneConnectionManager::destroyQuietly);
    }
}
