package io.fieldlink.spi;

import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.PoolConfig;
import io.fieldlink.health.DeviceHealth;
import io.fieldlink.health.HealthMonitor;
import io.fieldlink.health.ReconnectPolicy;
import io.fieldlink.health.Scheduler;
import io.fieldlink.health.TimeSource;
import io.fieldlink.jmx.MXBeanRegistry;
import io.fieldlink.transport.LinkTransport;
import io.fieldlink.transport.TransportKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Everything that runs while the adapter runs: the I/O event loops, the health thread, the pools
 * opened on them and their MXBeans. The resource adapter owns one; a factory made outside an
 * application server owns its own. {@link #close()} closes every socket, ends every thread it
 * started and unregisters every MXBean it registered.
 */
public final class AdapterRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdapterRuntime.class);

    private final LinkTransport transport;
    private final HealthMonitor monitor;
    private final TimeSource time;
    private final DoubleSupplier random;
    private final Scheduler scheduler;
    private final MXBeanRegistry mbeans;
    /** One pool per configuration, shared by every factory with that configuration (see {@link #acquirePool}). */
    private final Map<Object, PoolRuntime> pools = new LinkedHashMap<>();
    private final Map<Object, Integer> references = new HashMap<>();
    private final ReferenceQueue<Object> collected = new ReferenceQueue<>();
    private final Set<FactoryRef> factoryRefs = new HashSet<>();
    private volatile boolean closed;

    public AdapterRuntime(int ioThreads, TransportKind kind, String threadPrefix, TimeSource time, DoubleSupplier random,
                          MXBeanRegistry mbeans) {
        this.mbeans = mbeans;
        this.monitor = new HealthMonitor(threadPrefix);
        try {
            this.transport = new LinkTransport(ioThreads, kind, threadPrefix);
        } catch (RuntimeException | Error e) {
            monitor.close();
            throw e;
        }
        this.time = time;
        this.random = random;
        this.scheduler = new LoopScheduler(transport);
        // ends with the event loops; the release itself runs on the health thread: closing a pool
        // unregisters its MXBeans and closes its links, neither of which belongs on an I/O loop
        transport.timerLoop().scheduleWithFixedDelay(() -> monitor.execute(this::expungeQuietly),
                HOUSEKEEPING_SECONDS, HOUSEKEEPING_SECONDS, TimeUnit.SECONDS);
    }

    private static final long HOUSEKEEPING_SECONDS = 10;

    public AdapterRuntime(int ioThreads, TransportKind kind, String threadPrefix) {
        this(ioThreads, kind, threadPrefix, TimeSource.SYSTEM, () -> ThreadLocalRandom.current().nextDouble(),
                MXBeanRegistry.platform());
    }

    /**
     * The pool for {@code key} (a configuration), opened on first use and shared by every factory
     * that asks with an equal key; each {@code acquirePool} must be matched by one
     * {@link #releasePool}. The last release closes the pool's links and stops its reconnects.
     */
    public synchronized PoolRuntime acquirePool(Object key, String name, PoolConfig config) {
        if (closed) {
            throw new IllegalStateException("the adapter is stopped");
        }
        PoolRuntime pool = pools.get(key);
        if (pool == null) {
            pool = openPool(name, config);
            pools.put(key, pool);
        }
        references.merge(key, 1, Integer::sum);
        return pool;
    }

    /**
     * Gives back {@code factory}'s share of pool {@code key} once the factory is garbage collected
     * (JCA has no "factory closed" callback: a reconfigured or app-scoped pool is only known to be
     * gone when nothing references its factory). Checked on the adapter's own timer, no extra thread.
     */
    public void releaseWhenCollected(Object factory, Object key) {
        synchronized (factoryRefs) {
            factoryRefs.add(new FactoryRef(factory, key, collected));
        }
        expungeCollectedFactories();
    }

    private void expungeQuietly() {
        try {
            expungeCollectedFactories();
        } catch (RuntimeException e) {
            // a periodic task that throws is cancelled without a word: keep it alive, say why
            log.error("FieldLink could not release the pool of a collected factory", e);
        }
    }

    /** Releases the pools of factories collected since the last check; returns how many. */
    public int expungeCollectedFactories() {
        int n = 0;
        for (Reference<?> r; (r = collected.poll()) != null; ) {
            FactoryRef ref = (FactoryRef) r;
            synchronized (factoryRefs) {
                factoryRefs.remove(ref);
            }
            releasePool(ref.key);
            n++;
        }
        return n;
    }

    private static final class FactoryRef extends PhantomReference<Object> {
        final Object key;

        FactoryRef(Object factory, Object key, ReferenceQueue<Object> queue) {
            super(factory, queue);
            this.key = key;
        }
    }

    /** One factory of the pool {@code key} is gone; the last one closes the pool. */
    public void releasePool(Object key) {
        PoolRuntime closing = null;
        synchronized (this) {
            Integer left = references.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
            if (left == null) {
                closing = pools.remove(key);
            }
        }
        if (closing != null) {
            log.info("FieldLink pool {} closed: no factory uses it any more", closing.name());
            closing.close();
        }
    }

    /**
     * Opens the devices of one pool; their health is watched, and shown as MXBeans, from now until
     * the pool or runtime closes.
     */
    private PoolRuntime openPool(String name, PoolConfig config) {
        ReconnectPolicy policy = new ReconnectPolicy(config.reconnectInitialDelayMs(), config.reconnectMaxDelayMs(),
                config.reconnectMultiplier(), random);
        List<DeviceHealth> devices = config.devices().stream().map((DeviceAddress d) -> new DeviceHealth(name, d,
                config.link(), config.maxConnectionsPerDevice(), config.minIdlePerDevice(), config.maxInFlight(d), policy,
                transport, monitor, time, scheduler)).toList();
        devices.forEach(DeviceHealth::start);
        PoolRuntime pool = new PoolRuntime(name, config, devices, mbeans.registerPool(name, devices));
        log.info("FieldLink pool {} opened: {} device(s) {}, keepalive {}s/{}s x{} (bound {} ms), {}, {}", name,
                devices.size(), config.devices(), config.link().keepAliveIdleSeconds(),
                config.link().keepAliveIntervalSeconds(), config.link().keepAliveCount(),
                config.link().keepAliveBoundMs(), transport.describe(), !config.link().correlation().enabled()
                        ? "one request at a time per connection (no correlation)"
                        : "up to " + config.maxInFlightPerConnection() + " requests in flight per connection"
                        + (config.oneAtATimeDevices().isEmpty() ? "" : " (one at a time: " + config.oneAtATimeDevices() + ")"));
        if (config.link().userTimeoutMs() > config.link().keepAliveBoundMs() && transport.supportsUserTimeout()) {
            log.warn("FieldLink pool {}: userTimeoutMs={} is above the keepalive bound of {} ms; on Linux it "
                    + "replaces keepAliveCount, so a dead idle connection is noticed only after about {} ms",
                    name, config.link().userTimeoutMs(), config.link().keepAliveBoundMs(), config.link().userTimeoutMs());
        }
        return pool;
    }

    public HealthMonitor monitor() {
        return monitor;
    }

    public LinkTransport transport() {
        return transport;
    }

    /** Where this runtime's MXBeans are registered; the adapter adds its notices bean here. */
    public MXBeanRegistry mbeans() {
        return mbeans;
    }

    public synchronized List<PoolRuntime> pools() {
        return List.copyOf(pools.values());
    }

    public boolean isClosed() {
        return closed;
    }

    private static void stopStep(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException | LinkageError e) {
            log.warn("FieldLink stop: closing the {} failed; going on with the rest", what, e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<PoolRuntime> open;
        synchronized (this) {
            open = List.copyOf(pools.values());
            pools.clear();
            references.clear();
        }
        // each step on its own: one that fails must not leave the event loops or the health thread running
        for (PoolRuntime p : open) {
            stopStep("pool " + p.name(), p::close);
        }
        stopStep("MXBeans", mbeans::close); // the adapter's own, and any a failed pool close left
        stopStep("transport", transport::close);
        stopStep("health monitor", monitor::close);
    }
}
