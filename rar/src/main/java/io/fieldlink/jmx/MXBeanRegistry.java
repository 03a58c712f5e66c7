package io.fieldlink.jmx;

import io.fieldlink.health.DeviceHealth;
import io.fieldlink.notice.NoticeStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The FieldLink MXBeans of one adapter (or one standalone factory) in an MBeanServer, the
 * platform's by default: registered when a pool opens or the adapter starts, unregistered when the
 * pool closes, and every one left unregistered by {@link #close()} when the adapter stops, so an
 * undeployed adapter leaves no MBean (and no class loader) behind.
 *
 * <pre>{@code
 * MXBeanRegistry mbeans = MXBeanRegistry.platform();
 * MXBeanRegistry.Registration line3 = mbeans.registerPool("line-3", devices);
 * //   io.fieldlink:type=Pool,pool=line-3
 * //   io.fieldlink:type=Device,pool=line-3,device=plc-7   (one per device)
 * mbeans.registerNotices("plant-a", adapter::noticeStats);
 * //   io.fieldlink:type=Notices,instance=plant-a
 * line3.close();                                       // the pool closed
 * mbeans.close();                                      // the adapter stopped: nothing of ours is left
 * }</pre>
 *
 * <p><b>Names.</b> A value with a character JMX reserves ({@code , = : " * ?} or a line break;
 * e.g. the default pool name {@code 127.0.0.1:5020}) is quoted with {@link ObjectName#quote}; others
 * are used as they are. A pool (or notices instance) whose name is already registered in the server
 * (a second FieldLink adapter in the JVM, a reconfigured pool whose predecessor is still closing)
 * gets the first free of {@code name#2}, {@code name#3}, ...; its devices carry the same value, and
 * the log says which name it got. The first one keeps the plain name.
 *
 * <p><b>Never in the way.</b> Metrics are not worth an outage: no method here throws. A failed
 * registration (no MBeanServer, a security policy, a name another product took) is logged once at
 * WARN for this registry, later ones at DEBUG, and the adapter goes on without that MXBean.
 */
public final class MXBeanRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MXBeanRegistry.class);

    /** The ObjectName domain of every FieldLink MXBean. */
    public static final String DOMAIN = "io.fieldlink";
    /** Beyond this many pools of one name in one server, a pool goes without MXBeans (and says so). */
    private static final int MAX_SUFFIX = 1_000;

    /** What one {@code register...} call registered; {@link #close()} unregisters it (again: harmless). */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();

        /** Nothing registered: use it instead of {@code null}. */
        Registration NONE = () -> { };
    }

    private final MBeanServer server;
    /** Guarded by {@code this}. */
    private final Set<ObjectName> registered = new LinkedHashSet<>();
    private boolean closed;
    private boolean warned;

    /** Registers in {@code server}; {@code null} means none is available: nothing is registered. */
    public MXBeanRegistry(MBeanServer server) {
        this.server = server;
    }

    /** A registry on the JVM's platform MBeanServer, where jconsole, Jolokia and JMX exporters look. */
    public static MXBeanRegistry platform() {
        try {
            return new MXBeanRegistry(ManagementFactory.getPlatformMBeanServer());
        } catch (RuntimeException | Error e) {
            log.warn("FieldLink metrics are off: no platform MBeanServer ({}); the adapter works without them",
                    e.toString());
            return new MXBeanRegistry(null);
        }
    }

    /** The name of a pool's MXBean. */
    public static ObjectName poolName(String pool) {
        return name("type=Pool,pool=" + value(pool));
    }

    /** The name of a device's MXBean in a pool registered under {@code pool}. */
    public static ObjectName deviceName(String pool, String deviceId) {
        return name("type=Device,pool=" + value(pool) + ",device=" + value(deviceId));
    }

    /** The name of an adapter's notices MXBean. */
    public static ObjectName noticesName(String instance) {
        return name("type=Notices,instance=" + value(instance));
    }

    private static ObjectName name(String keys) {
        try {
            return new ObjectName(DOMAIN + ":" + keys);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(keys, e); // cannot happen: every value went through value()
        }
    }

    /** {@code v} as an ObjectName value: as it is, or quoted if it holds a character JMX reserves. */
    static String value(String v) {
        for (int i = 0; i < v.length(); i++) {
            if (",=:\"*?\n\\".indexOf(v.charAt(i)) >= 0) {
                return ObjectName.quote(v);
            }
        }
        return v.isEmpty() ? ObjectName.quote(v) : v;
    }

    /**
     * Registers a pool's MXBean and one per device, under the pool's name or the first free
     * {@code pool#n}; never throws.
     */
    public synchronized Registration registerPool(String pool, List<DeviceHealth> devices) {
        if (closed || server == null) {
            return Registration.NONE;
        }
        List<ObjectName> mine = new ArrayList<>();
        try {
            String value = claim(pool, MXBeanRegistry::poolName, new PoolView(pool, devices), PoolMXBean.class, mine);
            if (value == null) {
                return Registration.NONE;
            }
            if (!value.equals(pool)) {
                log.info("FieldLink pool {}: another pool of that name is registered in JMX; this one's MXBeans are "
                        + "{} and its devices'", pool, poolName(value));
            }
            for (DeviceHealth d : devices) {
                ObjectName name = deviceName(value, d.device().id());
                if (register(name, new DeviceView(d), DeviceMXBean.class, mine) == Outcome.TAKEN) {
                    failed(name, "is registered by someone else", null);
                }
            }
            return once(mine);
        } catch (RuntimeException | LinkageError e) {
            // a wrapping MBeanServer that throws where it should not: the pool serves without MXBeans
            failed(poolName(pool), "could not be registered", e);
            unregister(mine);
            return Registration.NONE;
        }
    }

    /** Registers the adapter's notices MXBean, under {@code instance} or the first free {@code instance#n}. */
    public synchronized Registration registerNotices(String instance, Supplier<NoticeStats> stats) {
        if (closed || server == null) {
            return Registration.NONE;
        }
        List<ObjectName> mine = new ArrayList<>();
        try {
            String value = claim(instance, MXBeanRegistry::noticesName, new NoticesView(instance, stats),
                    NoticesMXBean.class, mine);
            if (value == null) {
                return Registration.NONE;
            }
            if (!value.equals(instance)) {
                log.info("FieldLink notices: another adapter with instance name {} is registered in JMX; this one's "
                        + "MXBean is {}", instance, noticesName(value));
            }
            return once(mine);
        } catch (RuntimeException | LinkageError e) {
            failed(noticesName(instance), "could not be registered", e);
            unregister(mine);
            return Registration.NONE;
        }
    }

    /**
     * A registration that unregisters its names once, devices before their pool (so no other pool
     * can claim the pool's name while its devices' names are still taken); a second close does
     * nothing, even if a successor registered the same names meanwhile.
     */
    private Registration once(List<ObjectName> mine) {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        List<ObjectName> reversed = new ArrayList<>(mine);
        java.util.Collections.reverse(reversed);
        return () -> {
            if (done.compareAndSet(false, true)) {
                unregister(reversed);
            }
        };
    }

    /** Registers {@code bean} under the first free of {@code base}, {@code base#2}, ...; returns the value used, or null. */
    private <T> String claim(String base, Function<String, ObjectName> naming, T bean,
                             Class<T> type, List<ObjectName> mine) {
        for (int n = 1; n <= MAX_SUFFIX; n++) {
            String value = n == 1 ? base : base + "#" + n;
            ObjectName name = naming.apply(value);
            if (server.isRegistered(name)) {
                continue;
            }
            Outcome outcome = register(name, bean, type, mine);
            if (outcome == Outcome.DONE) {
                return value;
            }
            if (outcome == Outcome.FAILED) {
                return null;
            }
            // TAKEN: registered by someone else between the check and now; try the next
        }
        failed(naming.apply(base), "more than " + MAX_SUFFIX + " registered under that name", null);
        return null;
    }

    private enum Outcome { DONE, TAKEN, FAILED }

    private <T> Outcome register(ObjectName name, T bean, Class<T> type, List<ObjectName> mine) {
        try {
            server.registerMBean(new StandardMBean(bean, type, true), name);
            registered.add(name);
            mine.add(name);
            return Outcome.DONE;
        } catch (InstanceAlreadyExistsException e) {
            return Outcome.TAKEN;
        } catch (JMException | RuntimeException | LinkageError e) {
            failed(name, "could not be registered", e);
            return Outcome.FAILED;
        }
    }

    private synchronized void unregister(List<ObjectName> names) {
        for (ObjectName name : names) {
            if (registered.remove(name)) {
                unregisterQuietly(name);
            }
        }
    }

    private void unregisterQuietly(ObjectName name) {
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException gone) {
            // someone unregistered it for us: what we wanted
        } catch (JMException | RuntimeException | LinkageError e) {
            failed(name, "could not be unregistered", e);
        }
    }

    private void failed(ObjectName name, String what, Throwable e) {
        if (!warned) {
            warned = true;
            log.warn("FieldLink MXBean {} {}{}; the adapter works on without it. Further MXBean problems of this "
                    + "adapter are logged at DEBUG", name, what, e == null ? "" : ": " + e);
        } else {
            log.debug("FieldLink MXBean {} {}", name, what, e);
        }
    }

    /** Unregisters every MXBean still registered; later registrations do nothing. */
    @Override
    public synchronized void close() {
        closed = true;
        List<ObjectName> left = new ArrayList<>(registered);
        registered.clear();
        left.forEach(this::unregisterQuietly);
    }
}
