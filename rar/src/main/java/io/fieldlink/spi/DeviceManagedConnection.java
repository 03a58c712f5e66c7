package io.fieldlink.spi;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceException;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The container's logical connection to one device. It owns no socket: the device's links belong
 * to its {@link DeviceHealth}, and this connection borrows one on the application's first I/O and
 * gives it back when the application closes its handle (or the container cleans up). An idle
 * managed connection in the container's pool therefore holds none of the device's few slots.
 *
 * <p>When the borrowed link fails (keepalive, user timeout, heartbeat, reset, request timeout, or
 * its device going DOWN) this connection fires {@code CONNECTION_ERROR_OCCURRED} once, from the
 * adapter's health thread: the pool then destroys it. It never fires from
 * {@code matchManagedConnections}, which only skips unusable connections.
 *
 * <p>One thread at a time: a second thread using it while an exchange runs gets an
 * {@link IllegalStateException}, as does a handle used after the container cleaned it up.
 */
final class DeviceManagedConnection implements ManagedConnection {

    private static final Logger log = LoggerFactory.getLogger(DeviceManagedConnection.class);

    private final DeviceManagedConnectionFactory mcf;
    /** The device served; changes only while no handle and no link are held (see {@link #serve}). */
    private volatile DeviceHealth health;
    private final long maxWaitMs;
    private final HealthMonitor monitor;
    private final List<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();
    private final List<DeviceConnectionHandle> handles = new ArrayList<>();
    private final AtomicReference<Thread> user = new AtomicReference<>();
    private DeviceLink link;
    /**
     * A slot on a link shared with other connections' requests (pipelining), held for one request
     * only and given back when it ends; never watched: its failure is the request's, not this
     * connection's, and fires no error event.
     */
    private DeviceLink slot;
    private DeviceHealth slotOwner;
    private Consumer<LinkFailure> watch;
    private LinkFailure broken;
    private boolean errorFired;
    private boolean releaseAfterExchange;
    private boolean errorPending;
    private boolean cleanedDuringExchange;
    private volatile boolean destroyed;
    private PrintWriter logWriter;

    DeviceManagedConnection(DeviceManagedConnectionFactory mcf, DeviceHealth health, long maxWaitMs,
                            HealthMonitor monitor) {
        this.mcf = mcf;
        this.health = health;
        this.maxWaitMs = maxWaitMs;
        this.monitor = monitor;
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

    /** Usable: not destroyed, and no borrowed link broke under it. */
    synchronized boolean isUsable() {
        return !destroyed && broken == null && (link == null || link.isUsable());
    }

    // ---- exchanges (called by the handle)

    /** Starts an exchange: the borrowed link, borrowed now (fair wait, bounded by maxWaitMs) if need be. */
    DeviceLink enter(DeviceConnectionHandle handle) throws DeviceException {
        return enter(handle, false);
    }

    /**
     * Starts an exchange. For one {@code request} on a pipelined device, while this connection holds
     * no link of its own (no send()/receive() so far), the request gets a slot on a link shared with
     * other callers' requests instead, given back by {@link #exit()}.
     */
    DeviceLink enter(DeviceConnectionHandle handle, boolean request) throws DeviceException {
        Thread me = Thread.currentThread();
        Thread other = user.get();
        if (other == me) {
            throw new IllegalStateException("connection to " + deviceId() + " used re-entrantly by " + me.getName());
        }
        if (!user.compareAndSet(null, me)) {
            throw new IllegalStateException("connection to " + deviceId() + " is in use by thread "
                    + (other == null ? "?" : other.getName()) + "; a DeviceConnection is for one thread at a time");
        }
        try {
            synchronized (this) {
                if (destroyed) {
                    throw new ConnectionLostException(deviceId(), health.device().address(),
                            "the pool closed this connection", null);
                }
                if (!handles.contains(handle) || !handle.deviceId().equals(deviceId())) {
                    // the container took this connection back (and may have lent it for another
                    // device) after the handle's own checks: never talk to a device the handle did not ask for
                    throw new IllegalStateException("the container cleaned up this connection to "
                            + handle.deviceId() + "; get a new one from the factory");
                }
                LinkFailure earlier = broken != null ? broken : link == null ? null : link.failure();
                if (earlier != null && earlier.isError()) {
                    // the connection broke under an earlier exchange: the container is being told;
                    // this handle is done, as with any pooled connection that failed
                    throw new ConnectionLostException(deviceId(), health.device().address(),
                            "connection lost: " + earlier.reason(), earlier.cause());
                }
                if (link != null) {
                    return link;
                }
            }
            if (request && health.pipelined()) {
                return leaseSlot();
            }
            DeviceLink borrowed = borrow();
            if (borrowed == null) {
                throw new ConnectionLostException(deviceId(), health.device().address(),
                        "the pool closed this connection while it waited for one of the device's", null);
            }
            return borrowed;
        } catch (DeviceException | RuntimeException e) {
            exit(); // also tells the container of a failure that arrived while we looked
            throw e;
        }
    }

    /**
     * Ends an exchange; gives the link back if the container asked for that meanwhile. Returns
     * {@code true} if the container cleaned this connection up while the exchange ran.
     */
    boolean exit() {
        boolean release;
        boolean cleaned;
        DeviceLink givingSlot;
        DeviceHealth slotFrom;
        LinkFailure fire = null;
        DeviceLink failed = null;
        synchronized (this) {
            release = releaseAfterExchange;
            cleaned = cleanedDuringExchange;
            releaseAfterExchange = false;
            cleanedDuringExchange = false;
            if (errorPending && broken != null) {
                fire = broken;
                failed = link;
            }
            errorPending = false;
            givingSlot = slot;
            slotFrom = slotOwner;
            slot = null;
            slotOwner = null;
            user.set(null);
        }
        if (givingSlot != null) {
            slotFrom.giveBackShared(givingSlot);
        }
        if (fire != null) {
            LinkFailure f = fire;
            DeviceLink l = failed;
            monitor.execute(() -> fireError(l, f));
        }
        if (release) {
            releaseLink();
        }
        return cleaned;
    }

    private void linkFailed(DeviceLink failed, LinkFailure f) {
        synchronized (this) {
            if (failed != link || destroyed || !f.isError()) {
                return;
            }
            broken = f;
            if (user.get() != null) {
                // the exchange on it decides first: it may move to another link (a request that never
                // left), and the container must not destroy this connection under it meanwhile
                errorPending = true;
                return;
            }
        }
        monitor.execute(() -> fireError(failed, f));
    }

    /**
     * During an exchange: gives back the borrowed link, which broke before the request left, and
     * borrows another (fair wait, bounded by maxWaitMs).
     */
    DeviceLink replaceLink() throws DeviceException {
        DeviceLink giving;
        DeviceHealth owner;
        DeviceLink givingSlot;
        synchronized (this) {
            givingSlot = slot;
            owner = slotOwner;
            slot = null;
            slotOwner = null;
        }
        if (givingSlot != null) {
            owner.giveBackShared(givingSlot);
            return leaseSlot();
        }
        synchronized (this) {
            giving = detach();
            owner = health; // cannot move during an exchange (see idle())
        }
        if (giving != null) {
            owner.giveBack(giving);
        }
        DeviceLink borrowed = destroyed ? null : borrow();
        if (borrowed == null) {
            throw new ConnectionLostException(deviceId(), health.device().address(),
                    "the pool closed this connection while its request was being sent again", null);
        }
        return borrowed;
    }

    /**
     * Borrows a link and holds it (fair wait, bounded by maxWaitMs); {@code null} if the container
     * destroyed this connection meanwhile (the link went back).
     */
    private DeviceLink borrow() throws DeviceException {
        DeviceHealth from = health;
        DeviceLink borrowed = from.lease(maxWaitMs);
        if (!adopt(from, borrowed)) {
            from.giveBack(borrowed); // outside our lock: the device's lock is never taken under it
            return null;
        }
        return borrowed;
    }

    /** A slot on a shared link for the request now starting (the exchange's thread only). */
    private DeviceLink leaseSlot() throws DeviceException {
        DeviceHealth from = health; // cannot move during an exchange (see idle())
        if (destroyed) {
            throw new ConnectionLostException(deviceId(), from.device().address(), "the pool closed this connection", null);
        }
        DeviceLink shared = from.leaseShared(maxWaitMs);
        synchronized (this) {
            if (!destroyed) {
                slot = shared;
                slotOwner = from;
                return shared;
            }
        }
        from.giveBackShared(shared); // destroyed while it waited in line: the request must not go out
        throw new ConnectionLostException(deviceId(), from.device().address(), "the pool closed this connection", null);
    }

    /** Whether {@code l} is a slot on a link shared with other callers' requests (not a link held by this connection). */
    synchronized boolean isSlot(DeviceLink l) {
        return l != null && l == slot;
    }

    /** Lets go of the held link (caller holds our lock); the caller gives it back to the device. */
    private DeviceLink detach() {
        DeviceLink giving = link;
        link = null;
        broken = null; // the broken link goes back to the device (which closes it); this connection is fine
        errorPending = false;
        if (giving != null && watch != null) {
            giving.removeFailureListener(watch);
        }
        watch = null;
        return giving;
    }

    /** Holds {@code borrowed} and watches it; false if the container destroyed this connection meanwhile. */
    private synchronized boolean adopt(DeviceHealth from, DeviceLink borrowed) {
        if (destroyed || from != health || link != null) {
            return false;
        }
        link = borrowed;
        Consumer<LinkFailure> w = f -> linkFailed(borrowed, f);
        watch = w;
        borrowed.onFailure(w);
        return true;
    }

    /** Gives the borrowed link back to the device, unless an exchange still runs on it (then it goes after). */
    private void releaseLink() {
        DeviceLink giving;
        DeviceHealth owner;
        synchronized (this) {
            if (user.get() != null) {
                releaseAfterExchange = true;
                return;
            }
            giving = detach();
            owner = health; // the link's device: a connection holding a link never moves
        }
        if (giving != null) {
            owner.giveBack(giving);
        }
    }

    // ---- handles

    @Override
    public Object getConnection(Subject subject, ConnectionRequestInfo cri) throws ResourceException {
        String wanted = cri instanceof DeviceRequestInfo dri ? dri.deviceId() : mcf.defaultDeviceId();
        DeviceHealth target = deviceFor(wanted);
        DeviceConnectionHandle handle = new DeviceConnectionHandle(this, wanted);
        synchronized (this) {
            serve(target);
            if (!isUsable()) {
                throw new ResourceAllocationException("connection to device " + deviceId() + " is no longer usable"
                        + (broken == null ? "" : ": " + broken.reason()));
            }
            handles.add(handle);
        }
        return handle;
    }

    /**
     * Whether this connection can serve {@code deviceId} now: it serves it already, or it is idle
     * (no handle, no borrowed link), so it can move to it. A managed connection owns no socket, so
     * any idle one serves any device of its pool: a container that matches by connection (one pool
     * per connection definition, as IronJacamar's) never has to destroy one to reach another device.
     */
    synchronized boolean canServe(String deviceId) {
        return !destroyed && broken == null && !errorFired && (deviceId.equals(deviceId()) || idle());
    }

    /**
     * Idle: no handle, no borrowed link, no exchange running or winding down, no error on its way.
     * Only then may it move to another device (caller holds our lock): an exchange that a cleanup
     * left running still leases, adopts and gives back links of the device it started on.
     */
    private boolean idle() {
        return handles.isEmpty() && link == null && user.get() == null && !releaseAfterExchange
                && !cleanedDuringExchange && !errorPending && !errorFired;
    }

    /** Moves this idle connection to {@code target}, a device of the same pool (caller holds our lock). */
    private void serve(DeviceHealth target) throws ResourceException {
        if (target == health) {
            return;
        }
        if (!idle()) {
            throw new ResourceAllocationException("pooled connection is in use for device " + deviceId()
                    + ", not " + target.device().id() + ": the container shared a busy connection across devices");
        }
        health = target;
    }

    /** The pool's device {@code deviceId}; looked up before our lock is taken (the pool may be opening). */
    private DeviceHealth deviceFor(String deviceId) throws ResourceException {
        try {
            return mcf.pool().device(deviceId);
        } catch (DeviceException e) {
            ResourceAllocationException re = new ResourceAllocationException(e.getMessage());
            re.initCause(e);
            throw re;
        }
    }

    @Override
    public void associateConnection(Object connection) throws ResourceException {
        if (!(connection instanceof DeviceConnectionHandle handle)) {
            throw new ResourceException("not a FieldLink connection handle: " + connection);
        }
        DeviceHealth target = deviceFor(handle.deviceId()); // the handle's own device, never this one's
        synchronized (this) {
            serve(target);
            if (!handles.contains(handle)) {
                handles.add(handle);
            }
        }
        DeviceManagedConnection previous = handle.reassociate(this);
        if (previous != null) {
            previous.forget(handle);
        }
    }

    /** A handle was closed by the application: the link goes back to the device, then the pool hears of it. */
    void handleClosed(DeviceConnectionHandle handle) {
        forget(handle);
        synchronized (this) {
            // an error event already on its way: the container destroys this connection and must not
            // also be told it is free (it would hand it to the next caller, then destroy it under them)
            if (destroyed || errorFired) {
                return;
            }
        }
        ConnectionEvent event = new ConnectionEvent(this, ConnectionEvent.CONNECTION_CLOSED);
        event.setConnectionHandle(handle);
        for (ConnectionEventListener l : listeners) {
            try {
                l.connectionClosed(event);
            } catch (RuntimeException e) {
                // the application's close() must not fail, nor skip the other listeners
                log.warn("Pool listener failed on the close event of a connection to {}", deviceId(), e);
            }
        }
    }

    private void forget(DeviceConnectionHandle handle) {
        boolean last;
        synchronized (this) {
            handles.remove(handle);
            last = handles.isEmpty();
        }
        if (last) {
            releaseLink();
        }
    }

    private void fireError(DeviceLink failed, LinkFailure f) {
        synchronized (this) {
            // no listener yet (the container has not registered): addConnectionEventListener replays it.
            // The link already given back (the application closed its handle after the failure and
            // the container took the connection back): nothing is broken here any more.
            if (destroyed || listeners.isEmpty() || errorFired || failed != link) {
                return;
            }
            errorFired = true;
        }
        log.debug("Connection to {} failed ({}); telling the pool", deviceId(), f.reason());
        ConnectionEvent event = new ConnectionEvent(this, ConnectionEvent.CONNECTION_ERROR_OCCURRED,
                new ResourceException("device " + deviceId() + " (" + health.device().address() + "): " + f.reason(),
                        f.cause()));
        DeviceConnectionHandle handle;
        synchronized (this) {
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
        String why;
        synchronized (this) {
            why = destroyed ? (broken != null ? "connection lost: " + broken.reason()
                    : "the pool closed this connection") : null;
            open = new ArrayList<>(handles);
            handles.clear();
            if (user.get() != null && !errorFired) {
                // after an error event the container destroys us while the caller is still inside
                // the failed exchange: that is the protocol, not a misuse
                cleanedDuringExchange = true;
            }
        }
        open.forEach(h -> h.invalidate(why));
        releaseLink();
    }

    /** Closes this logical connection; handles still out fail with the reason (the link it broke on, if any). */
    @Override
    public void destroy() {
        destroyed = true;
        cleanup();
    }

    @Override
    public void addConnectionEventListener(ConnectionEventListener listener) {
        listeners.add(listener);
        LinkFailure f;
        DeviceLink held;
        synchronized (this) {
            f = broken;
            held = link;
        }
        if (f != null && !destroyed) {
            // the link died before the pool listened: tell it now, or it keeps a broken connection
            monitor.execute(() -> fireError(held, f));
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
        return "DeviceManagedConnection[" + health.device() + "]";
    }
}
