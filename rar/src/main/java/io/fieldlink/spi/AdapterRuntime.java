package io.fieldlink.spi;

import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.PoolConfig;
import io.fieldlink.health.DeviceHealth;
import io.fieldlink.health.HealthMonitor;
import io.fieldlink.health.ReconnectPolicy;
import io.fieldlink.health.TimeSource;
import io.fieldlink.transport.LinkTransport;
import io.fieldlink.transport.TransportKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Everything that runs while the adapter runs: the I/O event loops, the health thread and the pools
 * opened on them. The resource adapter owns one; a factory made outside an application server owns
 * its own. {@link #close()} closes every socket and ends every thread it started.
 */
public final class AdapterRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdapterRuntime.class);

    private final LinkTransport transport;
    private final HealthMonitor monitor;
    private final TimeSource time;
    private final DoubleSupplier random;
    private final List<PoolRuntime> pools = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public AdapterRuntime(int ioThreads, TransportKind kind, String threadPrefix, TimeSource time, DoubleSupplier random) {
        this.monitor = new HealthMonitor(threadPrefix);
        try {
            this.transport = new LinkTransport(ioThreads, kind, threadPrefix);
        } catch (RuntimeException | Error e) {
            monitor.close();
            throw e;
        }
        this.time = time;
        this.random = random;
    }

    public AdapterRuntime(int ioThreads, TransportKind kind, String threadPrefix) {
        this(ioThreads, kind, threadPrefix, TimeSource.SYSTEM, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** Opens the devices of one pool; their health is watched from now until the pool or runtime closes. */
    public PoolRuntime openPool(String name, PoolConfig config) {
        if (closed) {
            throw new IllegalStateException("the adapter is stopped");
        }
        ReconnectPolicy policy = new ReconnectPolicy(config.reconnectInitialDelayMs(), config.reconnectMaxDelayMs(),
                config.reconnectMultiplier(), random);
        List<DeviceHealth> devices = config.devices().stream().map((DeviceAddress d) -> new DeviceHealth(name, d,
                config.link(), config.maxConnectionsPerDevice(), policy, transport, monitor, time)).toList();
        PoolRuntime pool = new PoolRuntime(name, config, devices);
        pools.add(pool);
        log.info("FieldLink pool {} opened: {} device(s) {}, keepalive {}s/{}s x{} (bound {} ms), {}", name,
                devices.size(), config.devices(), config.link().keepAliveIdleSeconds(),
                config.link().keepAliveIntervalSeconds(), config.link().keepAliveCount(),
                config.link().keepAliveBoundMs(), transport.describe());
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

    public List<PoolRuntime> pools() {
        return List.copyOf(pools);
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pools.forEach(PoolRuntime::close);
        pools.clear();
        transport.close();
        monitor.close();
    }
}
