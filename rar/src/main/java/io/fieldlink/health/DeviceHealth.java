package io.fieldlink.health;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.LinkSettings;
import io.fieldlink.transport.DeviceLink;
import io.fieldlink.transport.LinkFailure;
import io.fieldlink.transport.LinkTransport;
import io.fieldlink.transport.LinkTransport.LinkConnectException;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The health of one device of one pool: its UP/DOWN state, its open links, and the reconnector.
 *
 * <p>State machine:
 * <ul>
 *   <li>UP to DOWN on the first failure that proves the path dead (keepalive or user timeout,
 *       heartbeat lost, network error, failed connect), or when a probe connect fails after a
 *       doubtful failure (reset, closed by the device, request timeout). Every other link of the
 *       device is closed at once (each one's pool entry hears {@code CONNECTION_ERROR_OCCURRED}), and
 *       ONE {@code DROPPED} change is published.</li>
 *   <li>While DOWN, {@link #acquire()} fails at once with {@link DeviceDownException}; the
 *       reconnector tries again after {@link ReconnectPolicy#delayMs(int)}.</li>
 *   <li>DOWN to UP on the first successful reconnect: ONE {@code RESTORED} change, and the new link
 *       is kept as a spare that the next {@link #acquire()} returns without a new connect.</li>
 * </ul>
 *
 * <pre>{@code
 * DeviceHealth plc = new DeviceHealth("plcs", device, settings, maxConnections, policy, transport, monitor, time);
 * DeviceLink link = plc.acquire();        // spare, new connect, or DeviceDownException at once
 * ...
 * plc.release(link);                       // the pool shrinks: closed, not counted as a failure
 * }</pre>
 *
 * <p>Locking: one monitor ({@code this}) guards the state; it is held only for bookkeeping, never
 * across a connect or a listener call. Failure listeners of links run on event loops and take this
 * lock briefly; state changes are queued to the {@link HealthMonitor} while the lock is held so that
 * their order is the order of the edges.
 */
public final class DeviceHealth {

    private static final Logger log = LoggerFactory.getLogger(DeviceHealth.class);

    private final String pool;
    private final DeviceAddress device;
    private final LinkSettings settings;
    private final int maxConnections;
    private final ReconnectPolicy policy;
    private final LinkTransport transport;
    private final HealthMonitor monitor;
    private final TimeSource time;

    private DeviceState state = DeviceState.UP;
    private Instant since;
    private long downSinceNanos;
    private long drops;
    private String lastCause;
    private String outageCause;
    private int attempts;
    private final Set<DeviceLink> links = new HashSet<>();
    private DeviceLink spare;
    private int pendingConnects;
    private boolean probing;
    private int lostWhileProbing;
    /** Bumped on every edge: a connect started before an edge must not act on the state after it. */
    private long epoch;
    /** The last link a probe or reconnect produced, and how many such links in a row the device closed at once. */
    private DeviceLink lastProbeLink;
    private int probeLinksLost;
    /** A device that closes this many fresh connections in a row is DOWN, and the backoff takes over. */
    static final int MAX_PROBE_LINKS_LOST = 3;
    private boolean closed;
    private ScheduledFuture<?> reconnectTask;

    public DeviceHealth(String pool, DeviceAddress device, LinkSettings settings, int maxConnections,
                        ReconnectPolicy policy, LinkTransport transport, HealthMonitor monitor, TimeSource time) {
        this.pool = pool;
        this.device = device;
        this.settings = settings;
        this.maxConnections = maxConnections;
        this.policy = policy;
        this.transport = transport;
        this.monitor = monitor;
        this.time = time;
        this.since = time.now();
    }

    public DeviceAddress device() {
        return device;
    }

    public LinkSettings settings() {
        return settings;
    }

    public synchronized boolean isUp() {
        return state == DeviceState.UP && !closed;
    }

    public synchronized DeviceStatus status() {
        return new DeviceStatus(device.id(), device.address(), state, since, links.size(), drops, lastCause, attempts,
                monitor.droppedNotices(pool, device.id()));
    }

    /** Throws {@link DeviceDownException} if the device is down: the fail-fast check, no I/O. */
    public synchronized void checkUp() throws DeviceException {
        if (closed) {
            throw new DeviceException(device.id(), device.address(), "the adapter is stopping");
        }
        if (state == DeviceState.DOWN) {
            throw new DeviceDownException(device.id(), device.address(), since, lastCause);
        }
    }

    /** Waits up to {@code timeoutMs} for the device to be UP (for pools configured to wait while down). */
    public synchronized boolean awaitUp(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (state == DeviceState.DOWN && !closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return !closed;
    }

    /**
     * A link for a new pooled connection: the spare left by a reconnect or probe, or a new connect
     * (blocking, at most {@code connectTimeoutMs}). Fails at once while the device is DOWN or when
     * the device already has {@code maxConnectionsPerDevice} connections. Never call on an event loop.
     */
    public DeviceLink acquire() throws DeviceException {
        long startEpoch;
        synchronized (this) {
            checkUp();
            if (spare != null) {
                DeviceLink s = spare;
                spare = null;
                if (s.isUsable()) {
                    return s;
                }
            }
            if (links.size() + pendingConnects >= maxConnections) {
                throw new DeviceException(device.id(), device.address(), "already " + links.size()
                        + " open connection(s) and " + pendingConnects + " opening; maxConnectionsPerDevice is "
                        + maxConnections);
            }
            pendingConnects++;
            startEpoch = epoch;
        }
        DeviceLink link = null;
        LinkFailure failure = null;
        CompletableFuture<DeviceLink> connecting;
        try {
            connecting = transport.connect(device, settings);
        } catch (RuntimeException e) {
            synchronized (this) {
                pendingConnects--;
            }
            throw new DeviceException(device.id(), device.address(), "connect could not start: " + e, e);
        }
        try {
            link = connecting.get(settings.connectTimeoutMs() + 2_000L, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            failure = e.getCause() instanceof LinkConnectException lce ? lce.failure()
                    : new LinkFailure(LinkFailure.Kind.NETWORK, "connect failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            failure = new LinkFailure(LinkFailure.Kind.TIMED_OUT, "connect did not complete", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = LinkFailure.local("interrupted while connecting");
        }
        if (link == null) {
            // a connect that completes after we gave up must not leave an orphan socket behind
            connecting.thenAccept(late -> late.close(LinkFailure.local("connect completed after the caller gave up")));
        }
        synchronized (this) {
            pendingConnects--;
            if (link != null && !closed && state == DeviceState.UP) {
                adopt(link);
                if (link.isUsable()) {
                    return link;
                }
            }
        }
        if (link != null && !link.isUsable() && !closed) {
            throw new ConnectionLostException(device.id(), device.address(), "connection closed right after it opened: "
                    + (link.failure() == null ? "closed" : link.failure().reason()), null);
        }
        if (link != null) {
            link.close(LinkFailure.local(closed ? "adapter stopping" : "device went down while connecting"));
            checkUp();
            throw new DeviceException(device.id(), device.address(), "connection closed while opening");
        }
        if (failure.kind() != LinkFailure.Kind.LOCAL) {
            synchronized (this) {
                if (epoch == startEpoch) { // a failure from before a DOWN/UP edge says nothing about now
                    markDownLocked(failure.reason(), links.size());
                }
            }
        }
        throw new DeviceException(device.id(), device.address(), failure.reason(), failure.cause());
    }

    /**
     * Closes a link the pool no longer wants (destroy, shrink); not a failure. It stops counting
     * against the cap at once and the socket is closed before this returns (bounded), so a pool
     * that destroys and then creates never has more than {@code maxConnectionsPerDevice} sockets
     * open at the device.
     */
    public void release(DeviceLink link) {
        synchronized (this) {
            links.remove(link);
            if (spare == link) {
                spare = null;
            }
        }
        link.closeAndWait(LinkFailure.local("released by the pool"), 1_000);
    }

    /** Registers a new link and watches it; caller holds the lock. */
    private void adopt(DeviceLink link) {
        links.add(link);
        link.onFailure(f -> linkFailed(link, f));
    }

    private void linkFailed(DeviceLink link, LinkFailure f) {
        synchronized (this) {
            boolean known = links.contains(link);
            int affected = links.size();
            links.remove(link);
            if (spare == link) {
                spare = null;
            }
            if (!known || closed || state == DeviceState.DOWN) {
                return;
            }
            if (f.provesDeviceDown()) {
                markDownLocked(f.reason(), affected);
                return;
            }
            if (!f.needsProbe()) {
                if (f.kind() == LinkFailure.Kind.PROTOCOL) {
                    log.warn("Device {} ({}) broke the framing; its connection was closed: {}", device.id(),
                            device.address(), f.reason());
                }
                return;
            }
            lostWhileProbing++;
            if (link == lastProbeLink) {
                // the device accepts connections and drops them at once (over its client limit,
                // serial side down): probing again would loop; after a few, let the backoff decide
                if (++probeLinksLost >= MAX_PROBE_LINKS_LOST) {
                    markDownLocked(f.reason() + "; the device closed " + probeLinksLost
                            + " fresh connections in a row", affected);
                    return;
                }
            } else {
                probeLinksLost = 0;
            }
            if (probing) {
                return;
            }
            probing = true;
            pendingConnects++;
        }
        log.info("Device {} ({}): {}; checking it with a new connection", device.id(), device.address(), f.reason());
        long probeEpoch;
        synchronized (this) {
            probeEpoch = epoch;
        }
        transport.connect(device, settings).whenComplete((probe, error) -> {
            try {
                probeDone(f, probe, error, probeEpoch);
            } catch (RuntimeException e) {
                log.error("Device {}: probe handling failed", device.id(), e);
            }
        });
    }

    private synchronized void probeDone(LinkFailure why, DeviceLink probe, Throwable error, long probeEpoch) {
        probing = false;
        pendingConnects--;
        int lost = lostWhileProbing;
        lostWhileProbing = 0;
        if (probe != null) {
            if (!closed && state == DeviceState.UP && spare == null && links.size() < maxConnections) {
                adopt(probe);
                spare = probe;
                lastProbeLink = probe;
                return;
            }
            probe.close(LinkFailure.local("probe not needed"));
            return;
        }
        if (closed || isLocal(error) || epoch != probeEpoch) {
            return;
        }
        String cause = error instanceof LinkConnectException lce ? lce.failure().reason() : String.valueOf(error);
        // the links lost while the probe ran count too
        markDownLocked(why.reason() + "; then " + cause, links.size() + lost);
    }

    private static boolean isLocal(Throwable error) {
        return error instanceof LinkConnectException lce && lce.failure().kind() == LinkFailure.Kind.LOCAL;
    }

    /** Marks the device DOWN (if UP), closing its other links and starting the reconnector; caller holds the lock. */
    private void markDownLocked(String cause, int affected) {
        if (closed || state == DeviceState.DOWN) {
            return;
        }
        state = DeviceState.DOWN;
        epoch++;
        lastProbeLink = null;
        probeLinksLost = 0;
        since = time.now();
        downSinceNanos = time.nanoTime();
        drops++;
        lastCause = cause;
        outageCause = cause;
        attempts = 0;
        List<DeviceLink> others = new ArrayList<>(links);
        spare = null;
        Instant downSince = since;
        log.warn("Device {} ({}) of pool {} is DOWN: {}; {} connection(s) affected; reconnecting with backoff",
                device.id(), device.address(), pool, cause, affected);
        monitor.publish(seq -> new DeviceStateChange(DeviceStateChange.Kind.DROPPED, pool, device.id(),
                device.address(), cause, downSince, 0, 0, affected, seq, downSince));
        LinkFailure down = new LinkFailure(LinkFailure.Kind.DEVICE_DOWN, "device down: " + cause, null);
        for (DeviceLink other : others) {
            other.close(down);
        }
        scheduleReconnect();
        notifyAll();
    }

    private void scheduleReconnect() {
        long delay = policy.delayMs(attempts);
        reconnectTask = transport.timerLoop().schedule(this::attemptReconnect, delay, TimeUnit.MILLISECONDS);
    }

    private void attemptReconnect() {
        synchronized (this) {
            if (closed || state == DeviceState.UP) {
                return;
            }
            attempts++;
            pendingConnects++;
        }
        CompletableFuture<DeviceLink> connecting;
        try {
            connecting = transport.connect(device, settings);
        } catch (RuntimeException e) {
            // a scheduled task's exception would vanish into its future: log it and keep trying
            log.error("Device {}: reconnect attempt could not start", device.id(), e);
            synchronized (this) {
                pendingConnects--;
                if (!closed) {
                    scheduleReconnect();
                }
            }
            return;
        }
        connecting.whenComplete((link, error) -> {
            synchronized (this) {
                pendingConnects--;
                if (closed || (link == null && isLocal(error))) {
                    if (link != null) {
                        link.close(LinkFailure.local("adapter stopping"));
                    }
                    return;
                }
                if (link == null) {
                    lastCause = outageCause + "; last reconnect: " + (error instanceof LinkConnectException lce
                            ? lce.failure().reason() : String.valueOf(error));
                    log.debug("Device {} reconnect attempt {} failed: {}", device.id(), attempts, lastCause);
                    scheduleReconnect();
                    return;
                }
                markUpLocked(link);
            }
        });
    }

    private void markUpLocked(DeviceLink link) {
        state = DeviceState.UP;
        epoch++;
        lastProbeLink = link; // a device that drops the reconnect's link at once is still flapping
        Instant now = time.now();
        long downtimeMs = Duration.ofNanos(time.nanoTime() - downSinceNanos).toMillis();
        Instant downSince = since;
        int tries = attempts;
        String cause = outageCause;
        since = now;
        attempts = 0;
        adopt(link);
        spare = link;
        log.info("Device {} ({}) of pool {} is UP again after {} ms and {} attempt(s)", device.id(),
                device.address(), pool, downtimeMs, tries);
        monitor.publish(seq -> new DeviceStateChange(DeviceStateChange.Kind.RESTORED, pool, device.id(),
                device.address(), cause, downSince, downtimeMs, tries, 0, seq, now));
        notifyAll();
    }

    /** Stops the reconnector and closes every link of the device (no events: the adapter is stopping). */
    public void close() {
        List<DeviceLink> open;
        synchronized (this) {
            closed = true;
            if (reconnectTask != null) {
                reconnectTask.cancel(false);
            }
            open = new ArrayList<>(links);
            links.clear();
            spare = null;
            notifyAll();
        }
        LinkFailure stopping = LinkFailure.local("adapter stopping");
        open.forEach(l -> l.close(stopping));
    }

    public String pool() {
        return pool;
    }

    @Override
    public String toString() {
        return "DeviceHealth[" + pool + "/" + device + "]";
    }
}
