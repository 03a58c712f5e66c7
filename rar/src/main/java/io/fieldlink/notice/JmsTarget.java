package io.fieldlink.notice;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.Topic;

/**
 * Where notices go: a JMS connection factory and a topic. In a server both come from JNDI
 * ({@link JndiJmsTarget}), looked up when they are needed and again after a failed send; tests and
 * standalone users can hand them over directly with {@link #of}.
 *
 * <p>Contract: the publisher calls every method on its own thread only, {@link #resolve} before
 * {@link #connectionFactory} and {@link #topic}, and {@link #forget} after a send failed.
 */
public interface JmsTarget {

    /**
     * Makes the connection factory and topic available, looking them up if they are not at hand
     * (cheap once they are). Throws while they cannot be had (e.g. a JNDI name not bound yet); the
     * publisher keeps the notices and calls it again with backoff. May block (a JNDI lookup): it
     * runs on the publisher's thread, never on the adapter's start or health thread.
     */
    default void resolve() throws Exception {
    }

    /** The connection factory found by the last successful {@link #resolve}. */
    ConnectionFactory connectionFactory() throws Exception;

    /** The topic found by the last successful {@link #resolve}. */
    Topic topic() throws Exception;

    /**
     * Drops what {@link #resolve} found, so that the next {@code resolve} looks it up again: after a
     * failed send the objects may belong to a JMS provider that was undeployed meanwhile.
     */
    default void forget() {
    }

    /** For logs: what the target is. */
    String describe();

    static JmsTarget of(ConnectionFactory factory, Topic topic) {
        return new JmsTarget() {
            @Override
            public ConnectionFactory connectionFactory() {
                return factory;
            }

            @Override
            public Topic topic() {
                return topic;
            }

            @Override
            public String describe() {
                return factory + " -> " + topic;
            }
        };
    }
}
