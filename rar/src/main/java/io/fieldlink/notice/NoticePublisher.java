package io.fieldlink.notice;

import io.fieldlink.health.DeviceStateChange;
import io.fieldlink.health.DeviceStateListener;
import io.fieldlink.health.ReconnectPolicy;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * its own sends: it opens a JMS connection, sends every waiting notice in order, and closes it.
 * A send that fails (broker down, resource not deployed, provider blocking then failing) leaves the
 * notice at the head of the outbox; the thread waits with jittered backoff and tries again, so
 * notices arrive late but in order. Delivery is at-least-once: a notice whose acknowledgement was
 * lost is sent again with the same {@code fieldlinkNoticeId}.
 *
 * <p>Uses only the JMS 1.1-style API (Connection, Session, MessageProducer): some resource
 * adapters' factories (ActiveMQ's) do not support {@code createContext()}.
 */
public final class NoticePublisher implements DeviceStateListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NoticePublisher.class);
    private static final long IDLE_POLL_MS = 500;

    private final JmsTarget target;
    private final NoticeFormat format;
    private final NoticeOutbox outbox;
    private final ReconnectPolicy retry;
    private final BiConsumer<String, String> droppedCounter;
    private final long flushTimeoutMs;
    private final Object wake = new Object();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile long stopDeadlineNanos;
    private volatile long sent;
    private volatile long failedAttempts;
    private volatile String lastError;
    private int consecutiveFailures;

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
        this.thread = io.fieldlink.transport.AdapterThreads.thread(this::run, "fieldlink-notices");
    }

    public void start() {
        thread.start();
        log.info("FieldLink notices go to {}", target.describe());
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
        return new NoticeStats(true, target.describe(), outbox.size(), sent, outbox.dropped(), failedAttempts, lastError);
    }

    private void run() {
        while (true) {
            if (stopping && (outbox.size() == 0 || System.nanoTime() > stopDeadlineNanos)) {
                return;
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
                if (consecutiveFailures > 0) {
                    log.info("Notices flowing again to {} after {} failed attempt(s)", target.describe(),
                            consecutiveFailures);
                }
                consecutiveFailures = 0;
            } catch (Exception | Error e) {
                // an Error too (a linkage error during a redeploy): log and retry rather than die silently
                failedAttempts++;
                lastError = String.valueOf(e);
                consecutiveFailures++;
                if (consecutiveFailures == 1 || consecutiveFailures % 20 == 0) {
                    log.warn("Cannot publish notices to {} ({} waiting, attempt {}): {}; retrying with backoff",
                            target.describe(), outbox.size(), consecutiveFailures, e.toString());
                }
                if (!pause(retry.delayMs(consecutiveFailures - 1))) {
                    return;
                }
            }
        }
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
        stopDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flushTimeoutMs);
        stopping = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        try {
            thread.join(flushTimeoutMs + 1_000);
            if (thread.isAlive()) {
                thread.interrupt(); // a provider blocking in send past the deadline
                thread.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Notice> left = outbox.drain();
        if (!left.isEmpty()) {
            log.error("FieldLink stopped with {} notice(s) not delivered to {}:", left.size(), target.describe());
            left.forEach(n -> log.error("undelivered notice: {}", n.json()));
        }
        log.info("FieldLink notices stopped: {} sent, {} dropped by overflow, {} undelivered at stop", sent,
                outbox.dropped(), left.size());
    }
}
