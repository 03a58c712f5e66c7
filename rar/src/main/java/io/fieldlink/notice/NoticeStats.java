package io.fieldlink.notice;

/**
 * What the notice publisher is doing and its counters, for the health view and operations.
 *
 * <pre>{@code
 * NoticeStats s = adapter.noticeStats();
 * if (s.state() == NoticeStats.State.WAITING_FOR_JNDI) {
 *     log.warn("notices not flowing yet: {} ({} waiting)", s.detail(), s.pending());
 * }
 * }</pre>
 *
 * @param state          what the publisher is doing (see {@link State})
 * @param target         where notices go (the JNDI names {@code factory -> topic}), or {@code none}
 * @param detail         in words: why notices are off, which JNDI name is missing, why sending fails
 * @param pending        waiting in the outbox
 * @param sent           delivered to the broker since start
 * @param dropped        lost to outbox overflow since start (each one logged)
 * @param failedAttempts attempts that failed since start: lookups that found nothing and sends that failed
 * @param lastError      the last failure, or {@code null}
 */
public record NoticeStats(State state, String target, String detail, int pending, long sent, long dropped,
                          long failedAttempts, String lastError) {

    /** The publisher's state. Every state but {@link #DISABLED} keeps notices in the outbox until they are sent. */
    public enum State {
        /**
         * Notices are off: both JNDI names are {@code none}, there is no JNDI at all (standalone use),
         * or the adapter is not running. Nothing is queued.
         */
        DISABLED,
        /**
         * The JMS connection factory or topic is not bound (yet), or bound to something else: notices
         * wait in the outbox and both names are looked up again with backoff. Also the state before
         * the first lookup. {@code detail} names the property and the JNDI name that is missing.
         */
        WAITING_FOR_JNDI,
        /** Both resources found; the last send, if any, succeeded. */
        ACTIVE,
        /**
         * A send failed (broker unavailable, resource undeployed): notices wait, the resources are
         * looked up again and the send retried with backoff.
         */
        RETRYING
    }

    /** Whether notices are published at all (possibly later: waiting and retrying count as on). */
    public boolean enabled() {
        return state != State.DISABLED;
    }

    public static NoticeStats disabled(String target, String why) {
        return new NoticeStats(State.DISABLED, target, why, 0, 0, 0, 0, null);
    }
}
