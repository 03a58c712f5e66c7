package io.fieldlink.testsupport;

import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.spi.InitialContextFactory;
import java.lang.reflect.Proxy;
import java.util.Hashtable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * A JNDI provider backed by a map, so that tests can bind JMS resources under the names the
 * adapter looks up (as a server would) without a server. Select it with the system property
 * {@code java.naming.factory.initial}.
 */
public final class MapContextFactory implements InitialContextFactory {

    public static final Map<String, Object> BINDINGS = new ConcurrentHashMap<>();
    /** The names of the threads that called {@code lookup}. */
    public static final Set<String> LOOKUP_THREADS = ConcurrentHashMap.newKeySet();
    /** When set, every lookup waits until it is counted down (a slow or hanging naming service). */
    public static volatile CountDownLatch gate;

    /** Forgets bindings, lookup threads and the gate (opening it first). */
    public static void reset() {
        CountDownLatch g = gate;
        if (g != null) {
            g.countDown();
        }
        gate = null;
        BINDINGS.clear();
        LOOKUP_THREADS.clear();
    }

    @Override
    public Context getInitialContext(Hashtable<?, ?> environment) {
        return (Context) Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[] {Context.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "lookup" -> {
                        LOOKUP_THREADS.add(Thread.currentThread().getName());
                        CountDownLatch g = gate;
                        if (g != null) {
                            g.await();
                        }
                        Object o = BINDINGS.get(String.valueOf(args[0]));
                        if (o == null) {
                            // as GlassFish/Payara report it: the NameNotFoundException wrapped
                            NamingException e = new NamingException("Lookup failed for '" + args[0] + "' in SerialContext");
                            e.setRootCause(new NameNotFoundException(String.valueOf(args[0])));
                            throw e;
                        }
                        yield o;
                    }
                    case "close" -> null;
                    case "toString" -> "MapContext" + BINDINGS.keySet();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
