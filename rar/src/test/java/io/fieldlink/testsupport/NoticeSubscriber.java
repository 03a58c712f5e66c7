package io.fieldlink.testsupport;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import jakarta.json.Json;
import jakarta.json.JsonObject;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A durable subscriber to the notices topic that records what arrives and when. */
public final class NoticeSubscriber implements AutoCloseable {

    /** One received notice. */
    public record Received(JsonObject body, String event, String device, String noticeId, String correlationId,
                           long atNanos) {
    }

    private final Connection connection;
    private final List<Received> received = new ArrayList<>();

    public NoticeSubscriber(ConnectionFactory factory, Topic topic, String selector) throws JMSException {
        connection = factory.createConnection();
        connection.setClientID("fieldlink-test-" + System.nanoTime());
        Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = session.createDurableSubscriber(topic, "notices", selector, false);
        consumer.setMessageListener(m -> {
            try {
                TextMessage t = (TextMessage) m;
                JsonObject body = Json.createReader(new StringReader(t.getText())).readObject();
                add(new Received(body, t.getStringProperty("fieldlinkEvent"), t.getStringProperty("fieldlinkDevice"),
                        t.getStringProperty("fieldlinkNoticeId"), t.getJMSCorrelationID(), System.nanoTime()));
            } catch (JMSException e) {
                throw new IllegalStateException(e);
            }
        });
        connection.start();
    }

    private synchronized void add(Received r) {
        received.add(r);
        notifyAll();
    }

    public synchronized List<Received> all() {
        return List.copyOf(received);
    }

    /** Waits until {@code done} holds for what was received; returns whether it did within the timeout. */
    public synchronized boolean await(Predicate<List<Received>> done, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!done.test(received)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    @Override
    public void close() throws JMSException {
        connection.close();
    }
}
