package io.fieldlink.notice;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.Topic;

import javax.naming.InitialContext;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;

/**
 * The connection factory and topic named by the adapter's {@code noticeConnectionFactory} and
 * {@code noticeTopic} properties, looked up in the server's JNDI.
 */
public final class JndiJmsTarget implements JmsTarget {

    /** What the lookup at start found. */
    public enum Resolution { FOUND, NEITHER_DEPLOYED }

    private final String factoryName;
    private final String topicName;
    private volatile ConnectionFactory factory;
    private volatile Topic topic;

    public JndiJmsTarget(String factoryName, String topicName) {
        this.factoryName = factoryName;
        this.topicName = topicName;
    }

    /**
     * Looks both names up once. Neither bound: notices are simply not set up here
     * ({@link Resolution#NEITHER_DEPLOYED}). Only one bound, or a name bound to something that is
     * not a connection factory / topic: a configuration error, thrown with both names in it.
     */
    public Resolution resolve() throws NamingException {
        Object f = lookup(factoryName);
        Object t = lookup(topicName);
        if (f == null && t == null) {
            return Resolution.NEITHER_DEPLOYED;
        }
        if (f == null) {
            throw new NamingException("noticeConnectionFactory='" + factoryName + "' is not bound in JNDI but noticeTopic='"
                    + topicName + "' is: deploy the connection factory or fix the name");
        }
        if (t == null) {
            throw new NamingException("noticeTopic='" + topicName + "' is not bound in JNDI but noticeConnectionFactory='"
                    + factoryName + "' is: create the topic (admin object) or fix the name");
        }
        if (!(f instanceof ConnectionFactory cf)) {
            throw new NamingException("noticeConnectionFactory='" + factoryName + "' is a " + f.getClass().getName()
                    + ", not a jakarta.jms.ConnectionFactory");
        }
        if (!(t instanceof Topic topicObject)) {
            throw new NamingException("noticeTopic='" + topicName + "' is a " + t.getClass().getName()
                    + ", not a jakarta.jms.Topic");
        }
        this.factory = cf;
        this.topic = topicObject;
        return Resolution.FOUND;
    }

    private static Object lookup(String name) throws NamingException {
        InitialContext ctx = new InitialContext();
        try {
            return ctx.lookup(name);
        } catch (NamingException e) {
            // GlassFish/Payara wrap the NameNotFoundException ("Lookup failed for ..."): look inside
            if (notFound(e)) {
                return null;
            }
            throw e;
        } finally {
            ctx.close();
        }
    }

    private static boolean notFound(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof NameNotFoundException) {
                return true;
            }
            if (c instanceof NamingException ne && ne.getRootCause() instanceof NameNotFoundException) {
                return true;
            }
        }
        return false;
    }

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
        return factoryName + " -> " + topicName;
    }
}
