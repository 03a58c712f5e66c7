package io.fieldlink.notice;

import io.fieldlink.health.DeviceStateChange;
import io.fieldlink.health.DeviceStateListener;
import io.fieldlink.health.ReconnectPolicy;
import io.fieldlink.transport.AdapterThreads;
import io.fieldlink.transport.LogLimiter;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.naming.NamingException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Publishes device drop and restore notices to a JMS topic, never losing one silently.
 *
 * <pre>{@code
 * NoticePublisher notices = new NoticePublisher(JmsTarget.of(connectionFactory, topic),
 *         new NoticeFormat("scada-1", startMillis), new NoticeOutbox(10_000),
 *         new ReconnectPolicy(100, 30_000, 2.0, random::nextDouble), (pool, device) -> { }, 5_000);
 * notices.start();
 * adapter.addDeviceStateListener(notices);   // one notice per UP/DOWN edge
 * ...
 * notices.close();                           // flushes for at most 5 s, logs what is left
 * }</pre>
 *
 * <p>Threads: {@link #onStateChange} runs on the adapter's health thread and only formats the
 * notice and appends it to the {@link NoticeOutbox} (no I/O, no blocking). One publisher thread of
 * its own finds the JMS resources and sends. It resolves the {@link JmsTarget} first (JNDI lookups,
 * which may block: never on the adapter's start or health thread) and, while a resource is not
 * bound, looks again with jittered backoff, the notices waiting in the outbox meanwhile; nothing
 * depends on whether the JMS resources were deployed before or after the adapter. Once both are
 * found it opens a JMS connection, sends every waiting notice in order, and closes it. A send that
 * fails (broker down, resource undeployed, provider blocking then failing) leaves the notice at the
 * head of the outbox and makes the target forget its resources (a redeployed JMS provider has new
 * ones); the thread waits with backoff, looks them up again and retries, so notices arrive late but
 * in order. Delivery is at-least-once: a notice whose acknowledgement was lost is sent again with
 * the same {@code fieldlinkNoticeId}.
 *
 * <p>States ({@link NoticeStats.State}, in {@link #stats()}): {@code WAITING_FOR_JNDI} until the
 * target resolves, then {@code ACTIVE}; a failed send makes it {@code RETRYING}, a failed lookup
 * {@code WAITING_FOR_JNDI} again, the next successful send {@code ACTIVE}. Log: one WARN when the
 * resources cannot be found (naming the property and the JNDI name, saying it retries), then at most
 * one line per {@value #STILL_WAITING_LOG_INTERVAL_MS} ms while they stay missing; one INFO when they
 * are found. A failed send: WARN at the first and every 20th in a row, INFO when notices flow again.
 *
 * <p>Uses only the JMS 1.1-style API (Connection, Session, MessageProducer): some resource
 * adapters' factories (ActiveMQ's) do not support {@code createContext()}.
 */
public final class NoticePublisher implements DeviceStateListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NoticePublisher.class);
    private static final long IDLE_POLL_MS = 500;
    /** While the resources stay missing, the WARN saying so is repeated at most this often. */
    public static final long STILL_WAITING_LOG_INTERVAL_MS = 300_000;

    /** The state and the words for it, changed together (read by {@link #stats()} on any thread). */
    private record Status(NoticeStats.State state, String detail) {
    }

    private final JmsTarget target;
    private final NoticeFormat format;
    private final NoticeOutbox outbox;
    private final ReconnectPolicy retry;
    private final BiConsumer<String, String> droppedCounter;
    private final long flushTimeoutMs;
    /** Undelivered notices logged with their content at stop; the rest are counted. */
    static final int UNDELIVERED_LOGGED = 100;
    private final Object wake = new Object();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile long stopDeadlineNanos;
    private volatile long sent;
    private volatile long failedAttempts;
    private volatile String lastError;
    private volatile Status status = new Status(NoticeStats.State.WAITING_FOR_JNDI, "not looked up yet");
    // the publisher thread's own bookkeeping
    private boolean resolved;
    private volatile boolean foundOnce; // also read by close()
    private int consecutiveFailures; // lookups and sends since the last successful send: the backoff
    private int sendFailures;        // sends in a row that failed: the WARN cadence
    private int lookupFailures;      // lookups in a row that found nothing
    private long waitingSinceNanos;
    private boolean waitingLogged;
    private LogLimiter stillWaiting;

    /**
     * @param droppedCounter told (pool, deviceId) for every notice lost to overflow: feeds the health view
     */
    public NoticePublisher(JmsTarget target, NoticeFormat format, NoticeOutbox outbox, ReconnectPolicy retry,
                           BiConsumer<String, String> droppedCounter, long flushTimeoutMs) {
        this.target = target;
        this.format = format;
        this.outbox = outbox;
        this.retry = retry;
        this.droppedCounter = droppedCounter;
        this.flushTimeoutMs = flushTimeoutMs;
        this.thread = AdapterThreads.thread(this::run, "fieldlink-notices");
    }

    /** Starts the publisher thread: it looks the target up at once, and logs where notices go once found. */
    public void start() {
        thread.start();
    }

    @Override
    public void onStateChange(DeviceStateChange change) {
        Notice evicted = outbox.offer(format.toNotice(change));
        if (evicted != null) {
            droppedCounter.accept(evicted.change().pool(), evicted.deviceId());
            long dropped = outbox.dropped();
            // every lost notice is logged with its content: the log is the last place it exists
            log.error("Notice outbox full; dropped the oldest notice ({} dropped so far), not delivered: {}",
                    dropped, evicted.json());
        }
    }

    public NoticeStats stats() {
        Status s = status;
        return new NoticeStats(s.state(), target.describe(), s.detail(), outbox.size(), sent, outbox.dropped(),
                failedAttempts, lastError);
    }

    private void run() {
        while (true) {
            if (stopping && (outbox.size() == 0 || System.nanoTime() > stopDeadlineNanos)) {
                return;
            }
            if (!resolved && !lookUp()) {
                if (!pause(retry.delayMs(consecutiveFailures - 1))) {
                    return;
                }
                continue;
            }
            Notice head;
            try {
                head = outbox.peek(IDLE_POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
            if (head == null) {
                continue;
            }
            try {
                sendAll();
                if (sendFailures > 0) {
                    log.info("Notices flowing again to {} after {} failed attempt(s)", target.describe(),
                            consecutiveFailures);
                }
                consecutiveFailures = 0;
                sendFailures = 0;
                if (status.state() != NoticeStats.State.ACTIVE) {
                    status = new Status(NoticeStats.State.ACTIVE, "sending to " + target.describe());
                }
            } catch (Exception | Error e) {
                // an Error too (a linkage error during a redeploy): log and retry rather than die silently
                lastError = String.valueOf(e);
                status = new Status(NoticeStats.State.RETRYING, "sending failed: " + e
                        + "; retrying with backoff, looking the resources up again first");
                failedAttempts++;
                consecutiveFailures++;
                sendFailures++;
                // the resources may belong to a JMS provider that was undeployed: look them up again
                resolved = false;
                target.forget();
                if (sendFailures == 1 || sendFailures % 20 == 0) {
                    log.warn("Cannot publish notices to {} ({} waiting, attempt {}): {}; retrying with backoff",
                            target.describe(), outbox.size(), sendFailures, e.toString());
                }
                if (!pause(retry.delayMs(consecutiveFailures - 1))) {
                    return;
                }
            }
        }
    }

    /**
     * Resolves the target; returns whether it did. While it does not, the state is
     * {@code WAITING_FOR_JNDI} and the log says so once, then at most every
     * {@value #STILL_WAITING_LOG_INTERVAL_MS} ms (a lookup is retried every few seconds for as long
     * as the JMS resources are missing: one line each would flood the server log).
     */
    private boolean lookUp() {
        try {
            target.resolve();
        } catch (Exception | Error e) {
            // an Error too (a linkage error while the JMS provider is redeployed): keep waiting, say why
            String why = reason(e);
            lastError = why;
            status = new Status(NoticeStats.State.WAITING_FOR_JNDI, why + "; looked up again with backoff");
            failedAttempts++; // after the words: whoever sees the count also sees why
            consecutiveFailures++;
            lookupFailures++;
            long now = System.nanoTime();
            if (!waitingLogged) {
                waitingLogged = true;
                waitingSinceNanos = now;
                stillWaiting = new LogLimiter(STILL_WAITING_LOG_INTERVAL_MS);
                stillWaiting.permit(now);
                log.warn("FieldLink notices are waiting for JNDI: {}. Notices are kept in the outbox ({} waiting, "
                        + "at most {}) and the names are looked up again with backoff (at most {} ms apart) until "
                        + "both are bound, then delivered in order. Create the JMS resources, or set "
                        + "noticeConnectionFactory and noticeTopic to none to switch notices off.", why, outbox.size(),
                        outbox.capacity(), retry.maxDelayMs());
            } else if (stillWaiting.permit(now) >= 0) {
                log.warn("FieldLink notices still waiting for JNDI after {} lookup(s) in {} s: {}; {} notice(s) "
                        + "waiting", lookupFailures, TimeUnit.NANOSECONDS.toSeconds(now - waitingSinceNanos), why,
                        outbox.size());
            }
            return false;
        }
        resolved = true;
        if (waitingLogged) {
            log.info("FieldLink notices go to {}: found in JNDI after {} lookup(s) in {} ms; sending the {} notice(s) "
                    + "waiting", target.describe(), lookupFailures + 1,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waitingSinceNanos), outbox.size());
        } else if (!foundOnce) {
            log.info("FieldLink notices go to {}", target.describe());
        }
        foundOnce = true;
        waitingLogged = false;
        lookupFailures = 0;
        if (status.state() == NoticeStats.State.WAITING_FOR_JNDI) {
            status = new Status(NoticeStats.State.ACTIVE, "sending to " + target.describe());
        }
        return true;
    }

    /** A lookup failure in words: our own naming messages as they are, anything else with its type. */
    private static String reason(Throwable e) {
        if (e instanceof NamingException ne && ne.getExplanation() != null) {
            return ne.getExplanation();
        }
        return String.valueOf(e);
    }

    /** Sends every waiting notice over one connection, removing each only once it is sent. */
    private void sendAll() throws Exception {
        try (Connection connection = target.connectionFactory().createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(target.topic());
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            Notice n;
            while ((n = outbox.peek(0)) != null) {
                if (stopping && System.nanoTime() > stopDeadlineNanos) {
                    return;
                }
                TextMessage m = session.createTextMessage(n.json());
                m.setStringProperty("fieldlinkEvent", n.event());
                m.setStringProperty("fieldlinkDevice", n.deviceId());
                m.setStringProperty("fieldlinkPool", n.change().pool());
                m.setBooleanProperty("fieldlinkInitial", n.change().initial());
                m.setStringProperty("fieldlinkNoticeId", n.id());
                m.setJMSCorrelationID(n.id());
                m.setJMSType("fieldlink.notice");
                producer.send(m);
                outbox.remove(n);
                sent++;
            }
        }
    }

    /**
     * Waits {@code ms} (cut short at the flush deadline once stopping); returns false if the thread
     * should end now.
     */
    private boolean pause(long ms) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        synchronized (wake) {
            while (true) {
                long end = stopping ? Math.min(until, stopDeadlineNanos) : until;
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return !stopping || System.nanoTime() < stopDeadlineNanos;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(wake, left);
                } catch (InterruptedException e) {
                    return false;
                }
            }
        }
    }

    /**
     * Stops publishing: delivers what it can within the flush timeout, then logs every notice left
     * (with its JSON) so that none disappears silently.
     */
    @Override
    public void close() {
        // resources never found: nothing can be delivered in the flush time, so the stop does not wait for it
        long flushMs = foundOnce ? flushTimeoutMs : 0;
        stopDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flushMs);
        stopping = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        try {
            thread.join(flushMs + 1_000);
            if (thread.isAlive()) {
                thread.interrupt(); // a provider blocking in send past the deadline
                thread.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            // a JNDI lookup or a JMS call that ignores interrupts: say so, it holds the adapter's class loader
            log.warn("FieldLink's notice thread is still blocked in a JNDI lookup or JMS call after the stop ({}); "
                    + "the notices below may still be delivered by it", status.detail());
        }
        List<Notice> left = outbox.drain();
        if (!left.isEmpty()) {
            log.error("FieldLink stopped with {} notice(s) not delivered to {} ({}):", left.size(), target.describe(),
                    status.detail());
            // each one with its content (the log is the last place it exists), up to a bound: a
            // full outbox must not turn one stop into ten thousand lines
            left.stream().limit(UNDELIVERED_LOGGED).forEach(n -> log.error("undelivered notice: {}", n.json()));
            if (left.size() > UNDELIVERED_LOGGED) {
                log.error("... and {} more undelivered notice(s), ids {} to {}", left.size() - UNDELIVERED_LOGGED,
                        left.get(UNDELIVERED_LOGGED).id(), left.get(left.size() - 1).id());
            }
        }
        log.info("FieldLink notices stopped: {} sent, {} dropped by overflow, {} undelivered at stop", sent,
                outbox.dropped(), left.size());
    }
}
