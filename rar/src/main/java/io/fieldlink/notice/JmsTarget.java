package io.fieldlink.notice;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.Topic;

/**
 * Where notices go: a JMS connection factory and a topic. In a server both come from JNDI
 * ({@link JndiJmsTarget}); tests and standalone users can hand them over directly with {@link #of}.
 */
public interface JmsTarget {

    ConnectionFactory connectionFactory() throws Exception;

    Topic topic() throws Exception;

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
