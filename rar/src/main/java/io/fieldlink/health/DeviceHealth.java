package io.fieldlink.health;

import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.LinkSettings;
import io.fieldlink.health.FailureVerdict.LinkPhase;
import io.fieldlink.health.FailureVerdict.Verdict;
import io.fieldlink.metrics.DeviceMeter;
import io.fieldlink.transport.DeviceLink;
import io.fieldlink.transport.LinkFailure;
import io.fieldlink.transport.LinkTransport;
import io.fieldlink.transport.LinkTransport.LinkConnectException;
import io.fieldlink.transport.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One device of one pool: its physical connections (owned here, not by the container), who borrows
 * them, and its UNKNOWN / UP / DOWN state.
 *
 * <pre>{@code
 * DeviceHealth plc = new DeviceHealth("plcs", device, settings, 2, 1, policy, transport, monitor, time, scheduler);
 * plc.start();                                  // opens minIdlePerDevice watched connections now
 * DeviceLink link = plc.lease(5_000);           // an idle link, a new one, or a fair wait in line
 * try {
 *     byte[] answer = link.request(frame, 2_000);
 * } finally {
 *     plc.giveBack(link);                       // reused, or closed if an answer may still arrive
 * }
 *
 * // with correlation, 16 requests per link: a slot for ONE request, shared with other callers
 * DeviceHealth gw = new DeviceHealth("gws", device, correlated, 1, 1, 16, policy, transport, monitor, time, scheduler);
 * DeviceLink shared = gw.leaseShared(5_000);
 * try {
 *     byte[] answer = shared.request(frame, 2_000);  // matched to this request by its id
 * } finally {
 *     gw.giveBackShared(shared);               // the last request off a link gives the link back
 * }
 * }</pre>
 *
 * <p><b>Pipelining.</b> With {@code maxInFlight} above 1 (correlation required), a link carries
 * requests of several callers at once; callers for whole links ({@link #lease}) and for slots
 * ({@link #leaseShared}) wait in one first-come line.</p>
 *
 * <p><b>Links.</b> At most {@code maxConnectionsPerDevice} (fewer once the device showed a client
 * limit), at least {@code minIdlePerDevice} open while the device is not DOWN, whatever the
 * container's pool does: a silent drop is noticed whether or not anyone used the device lately.
 * Callers beyond the cap wait in arrival order, up to their {@code maxWaitMs}, then get a
 * {@link DeviceBusyException}; while the device is DOWN they fail at once with {@link DeviceDownException}.
 *
 * <p><b>State.</b> UNKNOWN until the first connection settles (survives {@link #SETTLE_MS}) or the
 * first connect fails; then UP or DOWN. Every link failure goes through {@link FailureVerdict}; only
 * its DOWN verdict makes an outage: ONE {@code DROPPED} change, every link closed (each borrower's
 * managed connection hears {@code CONNECTION_ERROR_OCCURRED}), waiters released, and the
 * {@link Reconnector} retries with backoff. DOWN to UP needs a reconnected link that survives the
 * settle time: ONE {@code RESTORED} change. The first verdict after start is published too, marked
 * initial, so a subscriber can rebuild every device's state from the notices alone.
 *
 * <p><b>Locking.</b> One monitor ({@code this}) guards everything here; it is held only for
 * bookkeeping, never across a connect or a wait. Connects and timers run on the {@link Scheduler};
 * failure listeners run on event loops and take the monitor briefly. State changes are queued to the
 * {@link HealthMonitor} under the monitor, so their order is the order of the edges. Lock order:
 * this, then the monitor's; never the reverse.
 */
public final class DeviceHealth {

    private static final Logger log = LoggerFactory.getLogger(DeviceHealth.class);

    /** A new connection counts as evidence that the device serves us once it survived this long. */
    public static final long SETTLE_MS = 300;

    private enum Purpose { POOL, PROBE, RECONNECT }

    private final String pool;
    private final DeviceAddress device;
    private final LinkSettings settings;
    private final int minIdle;
    private final LinkTransport transport;
    private final HealthMonitor monitor;
    private final TimeSource time;
    private final Scheduler scheduler;
    private final DeviceLinks links;
    private final Reconnector reconnector;
    /** Requests, errors and frames of this device, counted without this lock by callers and event loops. */
    private final DeviceMeter meter;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Requests one link carries at once for {@link #leaseShared} callers; 1: one at a time. */
    private final int maxInFlight;
    private final LogLimiter limitLog = new LogLimiter(60_000);
    /** A device that keeps breaking the framing or timing out: a line every 10 s with a count, not one each. */
    private final LogLimiter framingLog = new LogLimiter(10_000);
    private final LogLimiter probeLog = new LogLimiter(10_000);

    private DeviceState state = DeviceState.UNKNOWN;
    private Instant since;
    private long downSinceNanos;
    private long drops;
    private String lastCause;
    private String outageCause;
    private boolean probing;
    private boolean closed;
    /** Bumped on every edge: a connect started before an edge must not act on the state after it. */
    private long epoch;
    /** Links the device lost since it last gave us a working connection, and the last reason: an outage's prelude. */
    private int lostSinceConnect;
    private final List<DeviceLink> downLinks = new ArrayList<>();
    private LinkFailure downReason;
    private String lastLoss;
    /** Fresh links lost before they settled, in a row: two mean a device that accepts and drops. */
    private int freshLostInARow;
    private long lastFreshLossNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
    private long limitLearnedNanos;
    /** After this long FieldLink asks a device that showed a client limit for one more connection again. */
    static final long LIMIT_RETRY_MS = 60_000;

    public DeviceHealth(String pool, DeviceAddress device, LinkSettings settings, int maxConnections, int minIdle,
                        ReconnectPolicy policy, LinkTransport transport, HealthMonitor monitor, TimeSource time,
                        Scheduler scheduler) {
        this(pool, device, settings, maxConnections, minIdle, 1, policy, transport, monitor, time, scheduler);
    }

    /**
     * @param maxInFlight requests one link carries at once for {@link #leaseShared} callers (pipelining;
     *                    needs correlation in {@code settings}); 1 serves one request at a time per link
     */
    public DeviceHealth(String pool, DeviceAddress device, LinkSettings settings, int maxConnections, int minIdle,
                        int maxInFlight, ReconnectPolicy policy, LinkTransport transport, HealthMonitor monitor,
                        TimeSource time, Scheduler scheduler) {
        if (maxInFlight > 1 && !settings.correlation().enabled()) {
            throw new IllegalArgumentException("several requests in flight on one connection need correlation");
        }
        this.maxInFlight = maxInFlight;
        this.pool = pool;
        this.device = device;
        this.settings = settings;
        this.minIdle = minIdle;
        this.transport = transport;
        this.monitor = monitor;
        this.time = time;
        this.scheduler = scheduler;
        this.links = new DeviceLinks(maxConnections);
        this.reconnector = new Reconnector(policy, scheduler);
        this.meter = new DeviceMeter();
        this.since = time.now();
    }

    public DeviceAddress device() {
        return device;
    }

    public LinkSettings settings() {
        return settings;
    }

    public String pool() {
        return pool;
    }

    /** The device's request, error and frame counters (their own synchronization; never this lock). */
    public DeviceMeter meter() {
        return meter;
    }

    /** Opens the minimum of watched connections; the device is UNKNOWN until the first one settles. */
    public synchronized void start() {
        refill();
    }

    public synchronized boolean isUp() {
        return state == DeviceState.UP && !closed;
    }

    public synchronized DeviceState state() {
        return state;
    }

    public synchronized DeviceStatus status() {
        return new DeviceStatus(device.id(), device.address(), state, since, links.open(), drops, lastCause,
                reconnector.attempts(), monitor.droppedNotices(pool, device.id()), links.leased(), waiters.size());
    }

    /** How long the current outage has lasted, on the monotonic clock; 0 while the device is not DOWN. */
    public synchronized long outageMillis() {
        return state == DeviceState.DOWN ? TimeUnit.NANOSECONDS.toMillis(time.nanoTime() - downSinceNanos) : 0;
    }

    /** Whether requests share links ({@link #leaseShared}): more than one in flight per connection. */
    public boolean pipelined() {
        return maxInFlight > 1;
    }

    /** Requests one connection carries at once. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Open connections that survived the settle time or answered: the device serves us on them. */
    public synchronized int settledConnections() {
        return links.settledCount();
    }

    /** Requests in flight on shared links right now. */
    public synchronized int sharedRequestsInFlight() {
        return links.sharedRequests();
    }

    /** Open connections no caller holds right now. */
    public synchronized int idleConnections() {
        return links.idle();
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

    /** Waits up to {@code timeoutMs} while the device is DOWN (for pools configured to wait while down). */
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

    // ---- borrowing

    /**
     * A link for one borrower: the most recently used idle one, or, in arrival order behind earlier
     * callers, the next one given back or newly opened. Never call on an event loop.
     *
     * @throws DeviceDownException at once while the device is DOWN, and to every waiter when it goes DOWN
     * @throws DeviceBusyException when no link came within {@code maxWaitMs}
     */
    public DeviceLink lease(long maxWaitMs) throws DeviceException {
        return lease(maxWaitMs, false);
    }

    /**
     * A slot for ONE request on a link that other callers' requests may share at the same time (up
     * to {@code maxInFlight} per link, answers matched by id); give it back with {@link #giveBackShared}
     * as soon as the request is answered or failed. Same line, same waits and failures as {@link #lease}.
     * With {@code maxInFlight} 1 a slot is a whole link.
     */
    public DeviceLink leaseShared(long maxWaitMs) throws DeviceException {
        return lease(maxWaitMs, true);
    }

    private DeviceLink lease(long maxWaitMs, boolean slot) throws DeviceException {
        long start = System.nanoTime();
        Waiter waiter;
        synchronized (this) {
            checkUp();
            if (waiters.isEmpty()) {
                DeviceLink free = take(slot);
                if (free != null) {
                    return free;
                }
            }
            waiter = new Waiter(slot);
            waiters.addLast(waiter);
            dispatch(); // a slot may be free beside a caller in line for a whole link
            refill();
        }
        try {
            return waiter.link.get(maxWaitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            synchronized (this) {
                if (!waiter.link.isDone()) {
                    waiters.remove(waiter);
                    dispatch(); // it may have held up callers behind it
                    throw busy(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
            }
            try {
                return waiter.link.join(); // handed over (or failed) just as the wait ended
            } catch (java.util.concurrent.CompletionException failed) {
                throw rethrown(failed.getCause());
            }
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            DeviceLink handed = null;
            synchronized (this) {
                if (!waiter.link.isDone()) {
                    waiters.remove(waiter);
                    dispatch();
                } else if (!waiter.link.isCompletedExceptionally()) {
                    handed = waiter.link.getNow(null);
                }
            }
            if (handed != null) {
                if (slot) {
                    giveBackShared(handed);
                } else {
                    giveBack(handed);
                }
            }
            throw new DeviceException(device.id(), device.address(), "interrupted while waiting for a connection", e);
        }
    }

    /**
     * A free link (whole) or slot (shared) for the caller, marked leased; {@code null} if none.
     * Caller holds the lock. A link is marked leased once, when its first borrower gets it: heartbeats
     * pause, and {@code receive()} starts afresh.
     */
    private DeviceLink take(boolean slot) {
        return take(slot, true);
    }

    /** {@link #take(boolean)}; {@code idleToo} false: a slot on a link already shared, never an idle link. */
    private DeviceLink take(boolean slot, boolean idleToo) {
        closeDrainingIdle();
        DeviceLink link;
        if (slot && maxInFlight > 1) {
            link = links.leaseSlot(maxInFlight, idleToo);
        } else {
            // with one request per link a slot is a whole link, given back whole
            while ((link = links.lease()) != null && !slot && settings.correlation().enabled()
                    && link.holdsPartialFrame()) {
                // with correlation a link goes back to the idle ones with part of a frame in its
                // decoder (it will carry an id); a whole-link borrower's receive() could get it: not
                // this one. Closed (its failure listener takes it off the books and refills).
                link.drain();
                links.returned(link);
                link.close(LinkFailure.local("part of a frame was in the decoder when a caller needed a whole connection"));
            }
        }
        if (link != null && !link.leased()) {
            link.lease();
        }
        return link;
    }

    /**
     * Idle links that take no new requests are closed; their failure listener takes them off the
     * books and refills. Idle links carry no borrower's listener, so closing under this lock only
     * schedules. Caller holds the lock.
     */
    private void closeDrainingIdle() {
        if (maxInFlight > 1) {
            for (DeviceLink l : links.drainingIdle()) {
                l.close(LinkFailure.local(l.retiredOutstanding() + " request(s) on it went unanswered"));
            }
        }
    }

    /** One caller waiting in line: for a whole link, or for a slot on a shared one. */
    private static final class Waiter {
        final boolean slot;
        final CompletableFuture<DeviceLink> link = new CompletableFuture<>();

        Waiter(boolean slot) {
            this.slot = slot;
        }
    }

    private DeviceException rethrown(Throwable cause) {
        if (cause instanceof DeviceDownException down) {
            return new DeviceDownException(device.id(), device.address(), down.downSince(), lastCauseSnapshot());
        }
        if (cause instanceof DeviceException de) {
            return new DeviceException(device.id(), device.address(), de.getMessage(), de);
        }
        return new DeviceException(device.id(), device.address(), String.valueOf(cause), cause);
    }

    private synchronized String lastCauseSnapshot() {
        return lastCause;
    }

    private DeviceBusyException busy(long waitedMs) {
        String detail = "maxConnectionsPerDevice " + links.cap()
                + (links.limited() ? "; the device accepted only " + links.effectiveCap() : "")
                + "; " + links.leased() + " in use, " + waiters.size() + " other caller(s) waiting";
        return new DeviceBusyException(device.id(), device.address(), waitedMs, links.effectiveCap(), detail);
    }

    /**
     * The borrower is done with {@code link}: it goes to the next caller in line, or back to the
     * idle links. A link on which an answer may still arrive, or whose decoder holds part of a
     * frame, is closed instead (and replaced if the minimum needs it).
     */
    public void giveBack(DeviceLink link) {
        synchronized (this) {
            if (!closed && state != DeviceState.DOWN && links.isExclusive(link) && link.reusable()) {
                link.unlease();
                links.returned(link);
                dispatch();
                return;
            }
        }
        if (link.isUsable()) {
            log.debug("{}: not reused ({}); closing it", link, link.notReusableBecause());
        }
        link.close(LinkFailure.local("not reused: " + link.notReusableBecause()));
    }

    /**
     * Hands free links and slots to the callers waiting longest, strictly in arrival order: a caller
     * that needs a whole link is not overtaken by later slot requests (the link it waits for drains
     * and goes to it). Caller holds the lock.
     */
    private void dispatch() {
        boolean wholeBlocked = false;
        try {
            wholeBlocked = serveWaiters();
        } finally {
            if (!wholeBlocked) {
                links.clearReservation(); // nobody waits for a whole link (any more): every link takes requests
            }
        }
    }

    /** Given-up requests outstanding on a link that make it drain: half its slots, at least 2 (or all of 1). */
    private int drainAt() {
        return Math.min(maxInFlight, Math.max(2, maxInFlight / 2));
    }

    /** {@link #dispatch()}'s line; returns whether a caller for a whole link is still waiting. */
    private boolean serveWaiters() {
        boolean wholeBlocked = false;
        for (java.util.Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            boolean slot = w.slot && maxInFlight > 1;
            if (!slot && wholeBlocked) {
                return true; // callers for whole links are served in their order
            }
            // behind a caller waiting for a whole link, requests may use the other shared links
            // (never an idle one: it is that caller's)
            DeviceLink link = take(w.slot, !wholeBlocked);
            if (link == null) {
                if (slot) {
                    return wholeBlocked; // no room for this one: none for the slot callers after it either
                }
                wholeBlocked = true;
                if (maxInFlight > 1) {
                    links.reserveForWholeLink(); // one shared link drains for it
                }
                continue;
            }
            it.remove();
            w.link.complete(link);
        }
        return wholeBlocked;
    }

    /** {@link #dispatch()} from outside the lock (a given-up request's late answer freed a place). */
    private synchronized void dispatchNow() {
        if (!closed && state != DeviceState.DOWN) {
            dispatch();
        }
    }

    /**
     * One request on a slot from {@link #leaseShared} is done. The last request off a link gives the
     * whole link back as {@link #giveBack} does (reused, or closed if it is not reusable).
     */
    public void giveBackShared(DeviceLink link) {
        if (maxInFlight == 1) {
            giveBack(link);
            return;
        }
        synchronized (this) {
            if (!links.isShared(link)) {
                return; // gone from the books (failed, DOWN, closed): its failure path did the rest
            }
            if (link.retiredOutstanding() >= drainAt() && !link.draining()) {
                // as many given-up requests as half its slots: the device stopped answering some
                // requests on it; a fresh connection, once the requests still on it are done
                link.drain();
                log.debug("{}: {} request(s) given up and unanswered; replacing it", link, link.retiredOutstanding());
            }
            if (!links.slotReturned(link)) {
                dispatch(); // a slot came free
                return;
            }
        }
        giveBack(link);
    }

    // ---- connects

    /** Opens links up to the minimum, and for callers in line while there is room. Caller holds the lock. */
    private void refill() {
        if (closed || state == DeviceState.DOWN) {
            return;
        }
        if (links.limited() && time.nanoTime() - limitLearnedNanos > TimeUnit.MILLISECONDS.toNanos(LIMIT_RETRY_MS)) {
            links.forgetLimit(); // a device's client limit is not forever (another client left): ask again
        }
        int floor = Math.min(minIdle, links.effectiveCap());
        while (links.roomToConnect()
                && (links.open() + links.connecting() < floor || waiters.size() > links.connecting())) {
            startConnect(Purpose.POOL);
        }
    }

    private void startConnect(Purpose purpose) {
        startConnect(purpose, 0);
    }

    private void startConnect(Purpose purpose, long delayMs) {
        links.connectStarted();
        long startEpoch = epoch;
        scheduler.schedule(() -> connect(purpose, startEpoch), delayMs);
    }

    /** A refused connect is tried once more after this long: a device may still count a slot it just closed. */
    static final long RETRY_REFUSED_MS = 250;

    private void connect(Purpose purpose, long startEpoch) {
        CompletableFuture<DeviceLink> connecting;
        try {
            connecting = transport.connect(device, settings, meter);
        } catch (RuntimeException e) {
            connecting = CompletableFuture.failedFuture(new LinkConnectException(new LinkFailure(
                    LinkFailure.Kind.OTHER, "connect could not start: " + e, e)));
        }
        connecting.whenComplete((link, error) -> {
            try {
                connected(purpose, startEpoch, link, error);
            } catch (RuntimeException e) {
                log.error("Device {}: handling a connect result failed", device.id(), e);
            }
        });
    }

    private void connected(Purpose purpose, long startEpoch, DeviceLink link, Throwable error) {
        DeviceLink toClose = null;
        synchronized (this) {
            links.connectEnded();
            if (purpose == Purpose.PROBE) {
                probing = false;
            }
            if (link != null) {
                boolean wanted = !closed && (purpose == Purpose.RECONNECT
                        ? state == DeviceState.DOWN && epoch == startEpoch
                        : state != DeviceState.DOWN && links.open() < links.effectiveCap());
                if (wanted) {
                    adopt(link);
                } else {
                    toClose = link;
                }
            } else {
                LinkFailure f = error instanceof LinkConnectException lce ? lce.failure()
                        : new LinkFailure(LinkFailure.Kind.OTHER, "connect failed: " + error, error);
                if (!closed && f.kind() != LinkFailure.Kind.LOCAL) {
                    if (purpose == Purpose.RECONNECT) {
                        if (state == DeviceState.DOWN && epoch == startEpoch) {
                            reconnectFailed(f.reason());
                        }
                    } else if (epoch == startEpoch) {
                        // a failure from before a DOWN/UP edge says nothing about now
                        LinkFailure told = lastLoss == null ? f
                                : new LinkFailure(f.kind(), lastLoss + "; then " + f.reason(), f.cause());
                        if (f.kind() == LinkFailure.Kind.REFUSED || f.kind() == LinkFailure.Kind.RESET
                                || f.kind() == LinkFailure.Kind.PEER_CLOSED || f.kind() == LinkFailure.Kind.OTHER) {
                            freshLostInARow++; // connects are attempts in a row by nature
                        }
                        apply(FailureVerdict.of(f.kind(), LinkPhase.CONNECT, links.usableOthers(null), freshLostInARow,
                                state), told);
                    }
                }
            }
            refill();
        }
        if (toClose != null) {
            toClose.close(LinkFailure.local(closed ? "adapter stopping" : "connection no longer needed"));
        }
        closeDownLinks();
    }

    /** A new link: watched, idle (or straight to the first caller in line), settling. Caller holds the lock. */
    private void adopt(DeviceLink link) {
        links.add(link);
        lostSinceConnect = 0;
        lastLoss = null;
        link.onFailure(f -> scheduler.schedule(() -> linkFailed(link, f), 0));
        if (maxInFlight > 1) {
            link.onRetiredAnswered(() -> scheduler.schedule(this::dispatchNow, 0));
        }
        scheduler.schedule(() -> settled(link), SETTLE_MS);
        if (state != DeviceState.DOWN) {
            dispatch();
        }
    }

    private synchronized void settled(DeviceLink link) {
        if (closed || !links.contains(link) || !link.isUsable()) {
            return;
        }
        if (settings.heartbeatEnabled() && link.answers() == 0 && link.framesUnanswered() == 0) {
            // with a heartbeat, an accepted TCP connection is not enough (a device whose application
            // hangs still accepts): only an answer settles the link; a lost heartbeat fails it
            scheduler.schedule(() -> settled(link), SETTLE_MS);
            return;
        }
        links.settle(link);
        freshLostInARow = 0;
        if (state != DeviceState.UP) {
            markUp();
        } else {
            dispatch(); // a settled link may go to callers who waited for one
        }
    }

    // ---- failures

    private void linkFailed(DeviceLink link, LinkFailure f) {
        synchronized (this) {
            if (!links.contains(link)) {
                return; // closed by a DOWN edge or by close(): already accounted for
            }
            LinkPhase phase = !links.isSettled(link) ? LinkPhase.SETTLING
                    : links.isLeased(link) ? LinkPhase.IN_USE : LinkPhase.IDLE;
            links.remove(link);
            if (closed) {
                return;
            }
            if (state == DeviceState.DOWN) {
                // the only link open while DOWN is a reconnect's, lost before it settled
                if (f.kind() != LinkFailure.Kind.LOCAL) {
                    reconnectFailed("accepted a connection and lost it at once (" + f.reason() + ")");
                }
                return;
            }
            if (phase == LinkPhase.SETTLING && f.kind() != LinkFailure.Kind.LOCAL) {
                // in a row = a link opened after the last fresh one was lost, and lost again; fresh
                // links lost together (a device resetting all its connections) are one event
                if (link.openedNanos() > lastFreshLossNanos) {
                    freshLostInARow++;
                }
                lastFreshLossNanos = System.nanoTime();
            }
            Verdict verdict = FailureVerdict.of(f.kind(), phase, links.usableOthers(null), freshLostInARow, state);
            if (links.open() == 0 && verdict != Verdict.CLIENT_LIMIT) {
                links.forgetLimit(); // every link is gone: whatever limit they showed says nothing now
            }
            if (f.kind() != LinkFailure.Kind.LOCAL && f.kind() != LinkFailure.Kind.ABANDONED) {
                lostSinceConnect++;
                lastLoss = f.reason();
            }
            if (phase == LinkPhase.SETTLING && verdict == Verdict.DOWN) {
                f = new LinkFailure(f.kind(), "the device accepted a connection and lost it within " + SETTLE_MS
                        + " ms (" + f.reason() + ")", f.cause());
            }
            if (verdict == Verdict.REPLACE && f.kind() == LinkFailure.Kind.PROTOCOL) {
                long held = framingLog.permit(time.nanoTime());
                if (held >= 0) {
                    log.warn("Device {} ({}) broke the framing; its connection was closed: {}{}", device.id(),
                            device.address(), f.reason(), held > 0 ? " (" + held + " more since the last warning)" : "");
                }
            } else if (verdict != Verdict.IGNORE) {
                log.debug("Device {} ({}): {} connection: {} -> {}", device.id(), device.address(), phase, f.reason(),
                        verdict);
            }
            apply(verdict, f);
            refill();
        }
        closeDownLinks();
    }

    /**
     * Closes the links a DOWN edge took out of the books, after the lock is released: closing can
     * run failure listeners inline (an event loop that is stopping), and those take other locks.
     */
    private void closeDownLinks() {
        List<DeviceLink> closing;
        LinkFailure why;
        synchronized (this) {
            if (downLinks.isEmpty()) {
                return;
            }
            closing = new ArrayList<>(downLinks);
            downLinks.clear();
            why = downReason;
        }
        closing.forEach(l -> l.close(why));
    }

    /** Carries out a verdict. Caller holds the lock. */
    private void apply(Verdict verdict, LinkFailure f) {
        switch (verdict) {
            case DOWN -> markDown(f.reason());
            case CLIENT_LIMIT -> {
                int keep = links.open();
                links.limitTo(keep);
                limitLearnedNanos = time.nanoTime();
                freshLostInARow = 0; // the device is full, not failing: start counting again
                long held = limitLog.permit(time.nanoTime());
                if (held >= 0) {
                    log.info("Device {} ({}) refused a connection beyond the {} it keeps open ({}): its client limit; "
                            + "FieldLink uses at most {} connection(s) to it until it is next reconnected", device.id(),
                            device.address(), keep, f.reason(), links.effectiveCap());
                }
            }
            case PROBE -> {
                if (!probing && links.open() + links.connecting() < links.effectiveCap()) {
                    probing = true;
                    long held = probeLog.permit(time.nanoTime());
                    if (held >= 0) {
                        log.info("Device {} ({}): {}; checking it with a new connection{}", device.id(),
                                device.address(), f.reason(), held > 0 ? " (" + held + " more checks since the last line)" : "");
                    }
                    startConnect(Purpose.PROBE, f.kind() == LinkFailure.Kind.REFUSED ? RETRY_REFUSED_MS : 0);
                }
            }
            case REPLACE, IGNORE -> {
                // refill() keeps the minimum
            }
        }
    }

    // ---- edges

    /** UNKNOWN or UP to DOWN. Caller holds the lock. */
    private void markDown(String cause) {
        if (closed || state == DeviceState.DOWN) {
            return;
        }
        boolean initial = state == DeviceState.UNKNOWN;
        state = DeviceState.DOWN;
        epoch++;
        probing = false;
        since = time.now();
        downSinceNanos = time.nanoTime();
        if (!initial) {
            drops++;
        }
        lastCause = cause;
        outageCause = cause;
        List<DeviceLink> affected = links.removeAll();
        int count = affected.size() + lostSinceConnect;
        lostSinceConnect = 0;
        lastLoss = null;
        links.forgetLimit();
        freshLostInARow = 0;
        Instant downSince = since;
        DeviceDownException down = new DeviceDownException(device.id(), device.address(), downSince, cause);
        List<Waiter> released = new ArrayList<>(waiters);
        waiters.clear();
        released.forEach(w -> w.link.completeExceptionally(down));
        log.warn("Device {} ({}) of pool {} is DOWN{}: {}; {} connection(s) affected, {} caller(s) released; "
                + "reconnecting with backoff", device.id(), device.address(), pool, initial ? " (first check)" : "",
                cause, count, released.size());
        monitor.publish(seq -> new DeviceStateChange(DeviceStateChange.Kind.DROPPED, pool, device.id(),
                device.address(), cause, downSince, 0, 0, count, seq, downSince, initial));
        LinkFailure downFailure = new LinkFailure(LinkFailure.Kind.DEVICE_DOWN, "device down: " + cause, null);
        downLinks.addAll(affected); // closed by the caller once it leaves the lock (closeDownLinks)
        downReason = downFailure;
        reconnector.reset();
        reconnector.scheduleNext(this::attemptReconnect);
        notifyAll();
    }

    private void attemptReconnect() {
        long startEpoch;
        synchronized (this) {
            if (closed || state != DeviceState.DOWN) {
                return;
            }
            reconnector.attemptStarted();
            links.connectStarted();
            startEpoch = epoch;
        }
        connect(Purpose.RECONNECT, startEpoch);
    }

    /** A reconnect attempt failed: try again after the backoff. Caller holds the lock. */
    private void reconnectFailed(String reason) {
        lastCause = outageCause + "; last reconnect: " + reason;
        log.debug("Device {} reconnect attempt {} failed: {}", device.id(), reconnector.attempts(), reason);
        reconnector.scheduleNext(this::attemptReconnect);
    }

    /** UNKNOWN or DOWN to UP: a link settled. Caller holds the lock. */
    private void markUp() {
        boolean initial = state == DeviceState.UNKNOWN;
        state = DeviceState.UP;
        epoch++;
        Instant now = time.now();
        long downtimeMs = initial ? 0 : Duration.ofNanos(time.nanoTime() - downSinceNanos).toMillis();
        Instant downSince = initial ? now : since;
        int tries = reconnector.attempts();
        String cause = initial ? null : outageCause;
        since = now;
        reconnector.reset();
        if (initial) {
            log.info("Device {} ({}) of pool {} is UP", device.id(), device.address(), pool);
        } else {
            log.info("Device {} ({}) of pool {} is UP again after {} ms and {} attempt(s)", device.id(),
                    device.address(), pool, downtimeMs, tries);
        }
        monitor.publish(seq -> new DeviceStateChange(DeviceStateChange.Kind.RESTORED, pool, device.id(),
                device.address(), cause, downSince, downtimeMs, tries, 0, seq, now, initial));
        dispatch();
        refill();
        notifyAll();
    }

    /** Stops the reconnector and closes every link of the device (no events: the adapter is stopping). */
    public void close() {
        List<DeviceLink> open;
        List<Waiter> released;
        synchronized (this) {
            closed = true;
            reconnector.cancel();
            open = links.removeAll();
            released = new ArrayList<>(waiters);
            waiters.clear();
            notifyAll();
        }
        DeviceException stopping = new DeviceException(device.id(), device.address(), "the adapter is stopping");
        released.forEach(w -> w.link.completeExceptionally(stopping));
        LinkFailure local = LinkFailure.local("adapter stopping");
        open.forEach(l -> l.close(local));
    }

    @Override
    public String toString() {
        return "DeviceHealth[" + pool + "/" + device + "]";
    }
}
