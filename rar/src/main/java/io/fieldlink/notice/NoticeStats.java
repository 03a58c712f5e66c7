package io.fieldlink.notice;

/**
 * The notice publisher's counters, for the health view and operations.
 *
 * @param enabled        whether notices are published at all
 * @param target         where they go (JNDI names), or why they are off
 * @param pending        waiting in the outbox
 * @param sent           delivered to the broker since start
 * @param dropped        lost to outbox overflow since start (each one logged)
 * @param failedAttempts send attempts that failed (broker or resource unavailable)
 * @param lastError      the last send failure, or {@code null}
 */
public record NoticeStats(boolean enabled, String target, int pending, long sent, long dropped, long failedAttempts,
                          String lastError) {

    public static NoticeStats disabled(String why) {
        return new NoticeStats(false, why, 0, 0, 0, 0, null);
    }
}
