package io.fieldlink.health;

import io.fieldlink.api.DeviceState;
import io.fieldlink.transport.LinkFailure;

/**
 * What a failure means for its device: one pure function, read top to bottom like the table in
 * {@code docs/architecture.md}. No sockets, no clock, no state of its own.
 *
 * <pre>{@code
 * Verdict v = FailureVerdict.of(failure.kind(), LinkPhase.IDLE, healthyOthers, freshLostInARow, DeviceState.UP);
 * switch (v) {
 *     case DOWN -> markDown(failure);
 *     case CLIENT_LIMIT -> links.limitTo(links.open());
 *     case PROBE -> connectNow();
 *     case REPLACE, IGNORE -> refillToMinIdle();
 * }
 * }</pre>
 *
 * <p>The rule behind the table: only evidence that the path or the device is dead makes a device
 * DOWN. What healthy devices do every day (close an idle connection, refuse a connection beyond
 * their client limit, time out one request that a fresh connection then disproves) is not an outage.
 */
public final class FailureVerdict {

    private FailureVerdict() {
    }

    /** Where the failed link was in its life when it failed. */
    public enum LinkPhase {
        /** A connect attempt (refill, probe, first connect, a caller's) failed: there is no link. */
        CONNECT,
        /** A fresh link was lost before it survived the settle time: the device accepted and dropped it. */
        SETTLING,
        /** A settled link idle in the pool. */
        IDLE,
        /** A settled link a borrower held. */
        IN_USE
    }

    /** What the device's health does about it. */
    public enum Verdict {
        /** Not about the device (the adapter closed the link, the caller gave up): keep the minimum of links. */
        IGNORE,
        /** The device closed a link the way healthy devices do: open a replacement if the minimum needs one; no notice. */
        REPLACE,
        /** Doubtful: open a connection now; if that connect fails, its own verdict decides. */
        PROBE,
        /** The device is at its client limit: stay UP, stop asking for more links than it keeps open. */
        CLIENT_LIMIT,
        /** The device is unreachable: DOWN, one notice, close its links, reconnect with backoff. */
        DOWN
    }

    /**
     * @param kind          what failed
     * @param phase         where the link was in its life
     * @param healthyOthers   other links of the device that are open and usable right now
     * @param freshLostInARow fresh links the device lost before they settled, in a row, this one included
     * @param state           the device's state when the failure arrived
     */
    public static Verdict of(LinkFailure.Kind kind, LinkPhase phase, int healthyOthers, int freshLostInARow,
                             DeviceState state) {
        if (state == DeviceState.DOWN) {
            return Verdict.IGNORE;                  // already DOWN: the reconnector decides when it is back
        }
        switch (kind) {
            case LOCAL, ABANDONED, DEVICE_DOWN:
                return Verdict.IGNORE;              // the adapter or the caller closed it, not the device
            case PROTOCOL:
                return Verdict.REPLACE;             // garbage on this connection costs this connection only
            default:
                break;
        }
        if (kind == LinkFailure.Kind.TIMED_OUT || kind == LinkFailure.Kind.HEARTBEAT_LOST
                || kind == LinkFailure.Kind.NETWORK) {
            // keepalive, user timeout, heartbeat, a connect unanswered, no route: the path or the
            // device is dead, whatever other links still look like (they may not have noticed yet)
            return Verdict.DOWN;
        }
        if (phase == LinkPhase.CONNECT || phase == LinkPhase.SETTLING) {
            // refused, or accepted and dropped at once: with other links open the device is full,
            // not gone; with none, it does not serve us at all
            if (kind == LinkFailure.Kind.RESPONSE_TIMEOUT) {
                return Verdict.PROBE;               // a request on a fresh link timed out: check, do not conclude
            }
            if (healthyOthers > 0) {
                return Verdict.CLIENT_LIMIT;
            }
            if (freshLostInARow < 2) {
                // one fresh link lost with the others (a device resetting all its connections at
                // once), or one refused connect (a device still counting a slot it just closed):
                // give it a second chance; a second one lost the same way is the pattern
                return Verdict.PROBE;
            }
            return Verdict.DOWN;
        }
        if (phase == LinkPhase.IDLE && (kind == LinkFailure.Kind.PEER_CLOSED || kind == LinkFailure.Kind.RESET)) {
            return Verdict.REPLACE;                 // devices close idle connections all the time
        }
        return Verdict.PROBE;                       // in-use reset or close, request timeout, anything unexplained
    }
}
