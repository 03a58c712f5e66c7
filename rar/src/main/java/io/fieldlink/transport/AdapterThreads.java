package io.fieldlink.transport;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.ThreadFactory;

/**
 * Makes the adapter's threads. They run with the adapter's class loader as their context class
 * loader: a thread started lazily from an application's request would otherwise inherit that
 * application's loader and keep the application in memory after it is undeployed.
 *
 * <pre>{@code
 * ThreadFactory io = AdapterThreads.factory("fieldlink-io");   // daemon threads fieldlink-io-1-1, ...
 * }</pre>
 */
public final class AdapterThreads {

    private static final ClassLoader ADAPTER_LOADER = AdapterThreads.class.getClassLoader();

    private AdapterThreads() {
    }

    /** Daemon threads named {@code prefix-N-M}, with the adapter's context class loader. */
    public static ThreadFactory factory(String prefix) {
        return new DefaultThreadFactory(prefix, true) {
            @Override
            protected Thread newThread(Runnable r, String name) {
                Thread t = super.newThread(r, name);
                t.setContextClassLoader(ADAPTER_LOADER);
                return t;
            }
        };
    }

    /** One daemon thread with the adapter's context class loader. */
    public static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.setContextClassLoader(ADAPTER_LOADER);
        return t;
    }
}
