package io.fieldlink.notice;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.Topic;

import javax.naming.InitialContext;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.NoInitialContextException;
import java.util.Optional;

/**
 * The connection factory and topic named by the adapter's {@code noticeConnectionFactory} and
 * {@code noticeTopic} properties, looked up in the server's JNDI by the notice publisher's thread
 * whenever it does not hold them: at first, until both are bound (the JMS resources may be deployed
 * after FieldLink), and again after a failed send (they may have been redeployed).
 *
 * <pre>{@code
 * JndiJmsTarget jms = new JndiJmsTarget("jms/fieldlink/noticeFactory", "jms/fieldlink/notices");
 * jms.resolve();      // on the publisher thread; NameNotFoundException names what is not bound yet
 * jms.forget();       // after a send failed: the next resolve() looks both names up again
 * }</pre>
 *
 * <p>Every lookup uses {@code new InitialContext()} with the server's default environment: on
 * Payara, WildFly and Open Liberty global names resolve from the adapter's own threads too.
 */
public final class JndiJmsTarget implements JmsTarget {

    private final String factoryName;
    private final String topicName;
    // written and read on the publisher's thread only (see JmsTarget's contract)
    private ConnectionFactory factory;
    private Topic topic;

    public JndiJmsTarget(String factoryName, String topicName) {
        this.factoryName = factoryName;
        this.topicName = topicName;
    }

    /**
     * Why there is no JNDI in this JVM at all, or empty if there is: a standalone program with no
     * naming provider, where notices are off for good ("no JNDI here"). Looks no name up: it only
     * makes the default initial context, i.e. reads the JVM's naming configuration (the server's
     * {@code InitialContextFactoryBuilder}, {@code java.naming.factory.initial}, {@code jndi.properties}),
     * so the adapter's {@code start()} can call it.
     *
     * <p>{@link NoInitialContextException} is the only answer taken as "no JNDI". Inside a server it
     * should not happen, transiently or not: the server installs its naming provider JVM-wide
     * before it deploys anything (Payara/GlassFish: {@code GlassFishNamingBuilder}, an
     * {@code InitialContextFactoryBuilder} set when the naming service starts, unless
     * {@code com.sun.enterprise.naming.allowJndiLookupFromOSGi=false}, and cleared only when the
     * server shuts down; WildFly and Liberty install builders too, not checked here). So it is
     * decided once, here, and a later one on the publisher's thread (a server shutting down, a
     * factory class the adapter's loader cannot see) is retried and reported, never taken for
     * standalone use: see {@link #resolve}. Any other {@link NamingException} means a provider
     * exists and answered: JNDI is there, and the publisher's lookups (retried, logged) will say
     * what is wrong.
     */
    public static Optional<String> noJndi() {
        try {
            DefaultContextProbe probe = new DefaultContextProbe();
            try {
                probe.defaultContext();
            } finally {
                probe.close();
            }
            return Optional.empty();
        } catch (NoInitialContextException e) {
            return Optional.of(String.valueOf(e.getMessage()));
        } catch (NamingException e) {
            return Optional.empty();
        }
    }

    /** Makes the default initial context without asking it anything. */
    private static final class DefaultContextProbe extends InitialContext {
        DefaultContextProbe() throws NamingException {
            super();
        }

        void defaultContext() throws NamingException {
            getDefaultInitCtx();
        }
    }

    /**
     * Looks both names up unless both objects are at hand. Throws {@link NameNotFoundException}
     * naming the property and the JNDI name of whatever is not bound (yet), and a
     * {@link NamingException} for a name bound to something that is not a connection factory /
     * topic or a lookup that failed otherwise; the caller retries in every case.
     */
    @Override
    public void resolve() throws NamingException {
        if (factory != null && topic != null) {
            return;
        }
        Object f = lookup("noticeConnectionFactory", factoryName);
        Object t = lookup("noticeTopic", topicName);
        if (f == null && t == null) {
            throw new NameNotFoundException("neither noticeConnectionFactory='" + factoryName + "' nor noticeTopic='"
                    + topicName + "' is bound in JNDI");
        }
        if (f == null) {
            throw new NameNotFoundException("noticeConnectionFactory='" + factoryName + "' is not bound in JNDI "
                    + "(noticeTopic='" + topicName + "' is)");
        }
        if (t == null) {
            throw new NameNotFoundException("noticeTopic='" + topicName + "' is not bound in JNDI "
                    + "(noticeConnectionFactory='" + factoryName + "' is)");
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
    }

    /** The object bound at {@code name}, or {@code null} if nothing is bound there. */
    private static Object lookup(String property, String name) throws NamingException {
        InitialContext ctx;
        try {
            ctx = new InitialContext();
        } catch (NamingException e) {
            throw failed(property, name, e);
        }
        try {
            return ctx.lookup(name);
        } catch (NamingException e) {
            // GlassFish/Payara wrap the NameNotFoundException ("Lookup failed for ..."): look inside
            if (notFound(e)) {
                return null;
            }
            // A NoInitialContextException here (after noJndi() found a provider at start) lands here
            // too and is retried like any failed lookup: it should not happen in a server (see
            // noJndi()), and if it does (the server's builder cleared at shutdown, a factory class
            // this thread's class loader cannot load) switching notices off would leave them
            // silently off for the adapter's lifetime; retrying keeps them waiting, and the
            // publisher's WARN says why.
            throw failed(property, name, e);
        } finally {
            ctx.close();
        }
    }

    private static NamingException failed(String property, String name, NamingException e) {
        NamingException wrapped = new NamingException("looking up " + property + "='" + name + "' in JNDI failed: "
                + e);
        wrapped.setRootCause(e);
        return wrapped;
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
    public void forget() {
        factory = null;
        topic = null;
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
