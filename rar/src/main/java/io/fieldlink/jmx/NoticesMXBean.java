package io.fieldlink.jmx;

/**
 * The adapter's notice publisher, registered as {@code io.fieldlink:type=Notices,instance=<instance>}
 * while the adapter runs ({@code instance}: the adapter's {@code instanceName}, or the host name).
 * The same values as {@code FieldLinkResourceAdapter.noticeStats()}.
 *
 * <pre>{@code
 * Set<ObjectName> notices = jmx.queryNames(new ObjectName("io.fieldlink:type=Notices,*"), null);
 * long dropped = (Long) jmx.getAttribute(notices.iterator().next(), "Dropped");   // should stay 0
 * }</pre>
 */
public interface NoticesMXBean {

    /** The instance name notices carry. */
    String getInstance();

    /** {@code DISABLED}, {@code WAITING_FOR_JNDI}, {@code ACTIVE} or {@code RETRYING}. */
    String getState();

    /** {@link #getState()} as a gauge: DISABLED = 0, WAITING_FOR_JNDI = 1, ACTIVE = 2, RETRYING = 3. */
    int getStateCode();

    /** The JNDI names, {@code factory -> topic}, or {@code none}. */
    String getTarget();

    /** The state in words (which JNDI name is missing, why sending fails). */
    String getDetail();

    /** Notices waiting in the outbox now. */
    int getPending();

    /** Notices delivered to the broker since the adapter started. */
    long getSent();

    /** Notices lost to a full outbox since the adapter started (each logged with its JSON). */
    long getDropped();

    /** Lookups that found nothing and sends that failed, since the adapter started. */
    long getFailedAttempts();

    /** The last of those failures, or empty. */
    String getLastError();
}
