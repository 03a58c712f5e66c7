package io.fieldlink.health;

import io.fieldlink.transport.DeviceLink;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The physical connections of one device and who holds them: idle (most recently used first),
 * leased to a borrower, settled (survived the settle time or answered), connects under way, the
 * configured cap and the client limit learned from the device.
 *
 * <p>Bookkeeping only, no I/O and no locking: {@link DeviceHealth} holds its lock around every call.
 */
final class DeviceLinks {

    private final int cap;
    private int limit;
    private final Set<DeviceLink> open = new HashSet<>();
    private final ArrayDeque<DeviceLink> idle = new ArrayDeque<>();
    private final Set<DeviceLink> leased = new HashSet<>();
    /** Links carrying requests of several borrowers at once (pipelining), and how many each carries. */
    private final Map<DeviceLink, Integer> shared = new HashMap<>();
    /** A shared link left to drain for a caller waiting for a whole link: no new requests on it. */
    private DeviceLink reserved;
    private final Set<DeviceLink> settled = new HashSet<>();
    private int connecting;

    DeviceLinks(int cap) {
        this.cap = cap;
        this.limit = cap;
    }

    /** At most this many links: {@code maxConnectionsPerDevice}, or fewer if the device showed a client limit. */
    int effectiveCap() {
        return Math.min(cap, limit);
    }

    int cap() {
        return cap;
    }

    /** Whether the device refused us below the configured cap. */
    boolean limited() {
        return limit < cap;
    }

    /** The device keeps at most {@code n} (at least 1) of our connections: stop asking for more. */
    void limitTo(int n) {
        limit = Math.max(1, Math.min(limit, n));
    }

    void forgetLimit() {
        limit = cap;
    }

    int open() {
        return open.size();
    }

    int connecting() {
        return connecting;
    }

    int idle() {
        return idle.size();
    }

    /** Links in use: leased to one borrower or carrying shared requests. */
    int leased() {
        return leased.size() + shared.size();
    }

    /** Requests in flight on shared links. */
    int sharedRequests() {
        int n = 0;
        for (int c : shared.values()) {
            n += c;
        }
        return n;
    }

    boolean roomToConnect() {
        return open.size() + connecting < effectiveCap();
    }

    void connectStarted() {
        connecting++;
    }

    void connectEnded() {
        connecting--;
    }

    boolean contains(DeviceLink link) {
        return open.contains(link);
    }

    /** A new link, idle and not settled yet. */
    void add(DeviceLink link) {
        open.add(link);
        idle.addFirst(link);
    }

    void settle(DeviceLink link) {
        if (open.contains(link)) {
            settled.add(link);
        }
    }

    /** Survived the settle time, or answered a request or heartbeat: the device serves us on it. */
    boolean isSettled(DeviceLink link) {
        return settled.contains(link) || link.answers() > 0;
    }

    /** Leased to one borrower, or carrying shared requests: in use. */
    boolean isLeased(DeviceLink link) {
        return leased.contains(link) || shared.containsKey(link);
    }

    /** Leased to one borrower (not shared). */
    boolean isExclusive(DeviceLink link) {
        return leased.contains(link);
    }

    /** Carrying shared requests. */
    boolean isShared(DeviceLink link) {
        return shared.containsKey(link);
    }

    /** Whether some open link survived the settle time or answered: the device serves us on it. */
    private boolean anySettled() {
        for (DeviceLink l : open) {
            if (l.isUsable() && isSettled(l)) {
                return true;
            }
        }
        return false;
    }

    /** Open, usable links that survived the settle time or answered. */
    int settledCount() {
        int n = 0;
        for (DeviceLink l : open) {
            if (l.isUsable() && isSettled(l)) {
                n++;
            }
        }
        return n;
    }

    /** Open, usable links other than {@code except}, settled or not: evidence that the device accepts us. */
    int usableOthers(DeviceLink except) {
        int n = 0;
        for (DeviceLink l : open) {
            if (l != except && l.isUsable()) {
                n++;
            }
        }
        return n;
    }

    /**
     * The most recently used idle link that still works, now leased; or {@code null}. A link that
     * has not settled yet is only handed out while the device has no settled link at all: a device
     * at its client limit accepts and drops the connection beyond it, and that must not cost a
     * caller its request while a proven link will be free in a moment.
     */
    DeviceLink lease() {
        boolean anySettled = anySettled();
        for (Iterator<DeviceLink> it = idle.iterator(); it.hasNext(); ) {
            DeviceLink l = it.next();
            if (!l.isUsable()) {
                it.remove(); // it leaves the books through its failure listener; it is just not handed out
                continue;
            }
            if (!l.draining() && (!anySettled || isSettled(l))) {
                it.remove();
                leased.add(l);
                return l;
            }
        }
        return null;
    }

    /**
     * A slot for one more request on a link shared by several borrowers: the shared link with the
     * fewest requests in flight below {@code maxInFlight}, or an idle one (now shared), whichever
     * carries fewer; {@code null} if none has room. Spreading keeps the device's connections evenly
     * loaded; the caller marks a link that was idle as leased ({@link DeviceLink#lease()}).
     */
    DeviceLink leaseSlot(int maxInFlight, boolean idleToo) {
        // a request given up on still occupies the device until its late answer comes: it counts
        DeviceLink best = null;
        int fewest = maxInFlight;
        for (Map.Entry<DeviceLink, Integer> e : shared.entrySet()) {
            DeviceLink l = e.getKey();
            int load = e.getValue() + l.retiredOutstanding();
            if (load < fewest && l != reserved && l.isUsable() && !l.draining()) {
                best = l;
                fewest = load;
            }
        }
        if (idleToo && (best == null || fewest > 0)) {
            boolean anySettled = anySettled();
            for (DeviceLink l : idle) {
                if (l.retiredOutstanding() < Math.min(fewest, maxInFlight) && l.isUsable() && !l.draining()
                        && (!anySettled || isSettled(l))) {
                    idle.remove(l);
                    shared.put(l, 1);
                    return l;
                }
            }
        }
        if (best != null) {
            shared.put(best, shared.get(best) + 1);
        }
        return best;
    }

    /**
     * A caller needs a whole link and none is idle: the least loaded shared link takes no new
     * requests, so that it drains and goes to that caller. At most one at a time.
     */
    void reserveForWholeLink() {
        if (reserved != null && shared.containsKey(reserved)) {
            return;
        }
        reserved = null;
        int fewest = Integer.MAX_VALUE;
        for (Map.Entry<DeviceLink, Integer> e : shared.entrySet()) {
            // a draining link is closed when it drains, not handed over: it cannot be the one
            if (e.getValue() < fewest && !e.getKey().draining()) {
                reserved = e.getKey();
                fewest = e.getValue();
            }
        }
    }

    /** No caller waits for a whole link: the reserved link takes requests again. */
    void clearReservation() {
        reserved = null;
    }

    /** Idle links that take no new requests (too many given up on them): to be closed. */
    List<DeviceLink> drainingIdle() {
        List<DeviceLink> out = new ArrayList<>();
        for (DeviceLink l : idle) {
            if (l.draining() && l.isUsable()) {
                out.add(l);
            }
        }
        return out;
    }

    /**
     * One request on a shared link is done. Returns true if it was the last one: the link is then
     * out of the shared set, and the caller gives it back as a whole ({@link #returned} or close).
     */
    boolean slotReturned(DeviceLink link) {
        Integer n = shared.get(link);
        if (n == null) {
            return false;
        }
        if (n > 1) {
            shared.put(link, n - 1);
            return false;
        }
        shared.remove(link);
        leased.add(link); // a whole link again, given back by the caller like an exclusive one
        return true;
    }

    /** A leased link came back in good shape: idle again, first in line. */
    void returned(DeviceLink link) {
        if (reserved == link) {
            reserved = null;
        }
        if (leased.remove(link) && open.contains(link)) {
            idle.addFirst(link);
        }
    }

    /** Forgets a link (closed or failed). Returns whether it was known. */
    boolean remove(DeviceLink link) {
        idle.remove(link);
        leased.remove(link);
        shared.remove(link);
        settled.remove(link);
        if (reserved == link) {
            reserved = null;
        }
        return open.remove(link);
    }

    /** Every open link, and forgets them all (DOWN, close). */
    List<DeviceLink> removeAll() {
        List<DeviceLink> all = new ArrayList<>(open);
        open.clear();
        idle.clear();
        leased.clear();
        shared.clear();
        reserved = null;
        settled.clear();
        return all;
    }
}
