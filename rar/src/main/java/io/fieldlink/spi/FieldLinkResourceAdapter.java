package io.fieldlink.spi;

import io.fieldlink.api.DeviceStatus;
import io.fieldlink.config.InvalidConfigException;
import io.fieldlink.health.DeviceStateListener;
import io.fieldlink.health.ReconnectPolicy;
import io.fieldlink.notice.JmsTarget;
import io.fieldlink.notice.JndiJmsTarget;
import io.fieldlink.notice.NoticeFormat;
import io.fieldlink.notice.NoticeOutbox;
import io.fieldlink.notice.NoticePublisher;
import io.fieldlink.notice.NoticeStats;
import io.fieldlink.transport.TransportKind;
import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.IllegalStateException;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.transaction.xa.XAResource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.io.Serializable;
import java.util.List;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The FieldLink resource adapter: starts the shared event loops and the health thread that all of
 * its pools use, and stops them, closing every socket, when the adapter is undeployed.
 *
 * <p>Operators configure it with {@code create-resource-adapter-config} (Payara) or the server's
 * equivalent; see {@code docs/configuration.md}. Code inside the adapter (the JMS notice publisher)
 * subscribes to device state edges:
 *
 * <pre>{@code
 * adapter.addDeviceStateListener(change -> outbox.offer(change));
 * }</pre>
 */
public class FieldLinkResourceAdapter implements ResourceAdapter, Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(FieldLinkResourceAdapter.class);

    public static final int DEFAULT_IO_THREADS = 2;
    public static final String DEFAULT_TRANSPORT = "AUTO";
    public static final String DEFAULT_NOTICE_CONNECTION_FACTORY = "jms/fieldlink/noticeFactory";
    public static final String DEFAULT_NOTICE_TOPIC = "jms/fieldlink/notices";
    public static final int DEFAULT_NOTICE_OUTBOX_SIZE = 10_000;
    public static final int DEFAULT_NOTICE_RETRY_MAX_DELAY_MS = 30_000;
    public static final int DEFAULT_NOTICE_FLUSH_TIMEOUT_MS = 5_000;

    private Integer ioThreads = DEFAULT_IO_THREADS;
    private String transport = DEFAULT_TRANSPORT;
    private String noticeConnectionFactory = DEFAULT_NOTICE_CONNECTION_FACTORY;
    private String noticeTopic = DEFAULT_NOTICE_TOPIC;
    private Integer noticeOutboxSize = DEFAULT_NOTICE_OUTBOX_SIZE;
    private Integer noticeRetryMaxDelayMs = DEFAULT_NOTICE_RETRY_MAX_DELAY_MS;
    private Integer noticeFlushTimeoutMs = DEFAULT_NOTICE_FLUSH_TIMEOUT_MS;
    private String instanceName = "";

    private transient volatile AdapterRuntime runtime;
    private transient volatile NoticePublisher notices;
    private transient volatile NoticeStats noticesOff = NoticeStats.disabled("none", "adapter not started");
    private final transient List<DeviceStateListener> listeners = new CopyOnWriteArrayList<>();
    private final transient List<WeakReference<DeviceManagedConnectionFactory>> madeBeforeStart = new ArrayList<>();
    private transient volatile Thread preload;
    private transient volatile String resolvedInstance;

    @Override
    public void start(BootstrapContext ctx) throws ResourceAdapterInternalException {
        int threads;
        TransportKind kind;
        try {
            threads = range("ioThreads", ioThreads, 1, 64);
            kind = parseTransport(transport);
            range("noticeOutboxSize", noticeOutboxSize, 1, 1_000_000);
            range("noticeRetryMaxDelayMs", noticeRetryMaxDelayMs, 100, 3_600_000);
            range("noticeFlushTimeoutMs", noticeFlushTimeoutMs, 0, 600_000);
        } catch (InvalidConfigException e) {
            throw new ResourceAdapterInternalException("FieldLink resource adapter: " + e.getMessage(), e);
        }
        JndiJmsTarget jms = null;
        if (off(noticeConnectionFactory) && off(noticeTopic)) {
            noticesOff = NoticeStats.disabled("none", "noticeConnectionFactory and noticeTopic are set to none");
            log.info("FieldLink notices are disabled: noticeConnectionFactory and noticeTopic are set to none");
        } else if (off(noticeConnectionFactory) || off(noticeTopic)) {
            // a configuration mistake, not a deployment-order issue: no lookup can ever fix it
            throw new ResourceAdapterInternalException("FieldLink resource adapter: notices misconfigured: "
                    + "noticeConnectionFactory='" + noticeConnectionFactory + "' and noticeTopic='" + noticeTopic
                    + "'; name both JMS resources, or set both to none to disable notices");
        } else {
            jms = noticeTarget();
        }
        AdapterRuntime r = null;
        try {
            // the instance name once: the host name lookup may be slow, and notices and JMX must agree
            resolvedInstance = blank(instanceName) ? hostName() : instanceName.trim();
            r = new AdapterRuntime(threads, kind, "fieldlink");
            listeners.forEach(r.monitor()::addListener);
            r.mbeans().registerNotices(resolvedInstance, this::noticeStats); // unregistered when r closes
            synchronized (this) {
                runtime = r;
            }
            if (jms != null) {
                startNotices(jms);
            }
        } catch (RuntimeException | Error e) {
            // a failed start gets no stop(): close what was made (threads, sockets, MXBeans pinning our loader)
            synchronized (this) {
                runtime = null;
            }
            if (r != null) {
                r.close();
            }
            throw new ResourceAdapterInternalException("FieldLink resource adapter failed to start: " + e, e);
        }
        log.info("FieldLink resource adapter started ({})", runtime.transport().describe());
        // every class the stop may need, loaded while the rar's files surely exist (ClassPreloader)
        Thread t = io.fieldlink.transport.AdapterThreads.thread(() -> ClassPreloader.preload(
                FieldLinkResourceAdapter.class.getClassLoader(), ClassPreloader.BUNDLED), "fieldlink-preload");
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
        preload = t;
        openPoolsMadeBeforeStart();
    }

    /**
     * Opens {@code mcf}'s pool now if the adapter runs, else when it starts. Some servers
     * (IronJacamar) make connection factories while deploying, before {@link #start}; their devices
     * must be watched from the start all the same, not from the first request.
     */
    void openWhenStarted(DeviceManagedConnectionFactory mcf) throws ResourceException {
        synchronized (this) {
            if (runtime == null) {
                // weakly held: a factory the server discards before the start must not be kept
                madeBeforeStart.add(new WeakReference<>(mcf));
                return;
            }
        }
        mcf.openPool();
    }

    private void openPoolsMadeBeforeStart() {
        List<WeakReference<DeviceManagedConnectionFactory>> waiting;
        synchronized (this) {
            waiting = new ArrayList<>(madeBeforeStart);
            madeBeforeStart.clear();
        }
        for (WeakReference<DeviceManagedConnectionFactory> ref : waiting) {
            DeviceManagedConnectionFactory mcf = ref.get();
            if (mcf != null) {
                try {
                    mcf.openPool();
                } catch (ResourceException | RuntimeException e) {
                    // its callers get the same error on first use; the other pools still open
                    log.warn("FieldLink pool could not open at adapter start: {}", e.getMessage());
                }
            }
        }
    }

    /**
     * The JNDI target of the notices, or {@code null} where there is no JNDI at all (standalone use).
     * Nothing is looked up here: the publisher's own thread does it, and keeps trying until both
     * names are bound, so the JMS resources may be deployed before or after FieldLink.
     */
    private JndiJmsTarget noticeTarget() {
        JndiJmsTarget jms = new JndiJmsTarget(noticeConnectionFactory.trim(), noticeTopic.trim());
        Optional<String> noJndi = JndiJmsTarget.noJndi();
        if (noJndi.isPresent()) {
            noticesOff = NoticeStats.disabled(jms.describe(), "no JNDI in this environment (standalone use): "
                    + noJndi.get());
            log.info("FieldLink notices are disabled: no JNDI in this environment (standalone use): {}",
                    noJndi.get());
            return null;
        }
        return jms;
    }

    /**
     * Publishes drop/restore notices to {@code target} (the adapter does this itself at start with
     * the JNDI resources; standalone users and tests, where there is no JNDI, can point it at any JMS
     * connection factory).
     */
    public synchronized void startNotices(JmsTarget target) {
        AdapterRuntime r = runtime;
        if (r == null) {
            throw new java.lang.IllegalStateException("start the adapter first");
        }
        if (notices != null) {
            throw new java.lang.IllegalStateException("notices already go to " + notices.stats().target());
        }
        NoticePublisher p = new NoticePublisher(target, new NoticeFormat(instance(), System.currentTimeMillis()),
                new NoticeOutbox(noticeOutboxSize), new ReconnectPolicy(100, noticeRetryMaxDelayMs, 2.0,
                () -> ThreadLocalRandom.current().nextDouble()), r.monitor()::countDroppedNotice, noticeFlushTimeoutMs);
        p.start();
        r.monitor().addListener(p);
        notices = p;
    }

    /**
     * What the notice publisher is doing (disabled, waiting for its JNDI names, active, retrying),
     * why, and its counters (pending, sent, dropped by overflow, failed attempts).
     */
    public NoticeStats noticeStats() {
        NoticePublisher p = notices;
        return p == null ? noticesOff : p.stats();
    }

    /** The name notices carry and the notices MXBean is registered under: {@code instanceName}, or the host's. */
    private String instance() {
        String resolved = resolvedInstance;
        return resolved != null ? resolved : blank(instanceName) ? hostName() : instanceName.trim();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "fieldlink";
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** "none" (or empty, where the server allows an empty value) switches notices off. */
    private static boolean off(String jndiName) {
        return blank(jndiName) || jndiName.trim().equalsIgnoreCase("none");
    }

    private static int range(String property, Integer value, int min, int max) {
        if (value == null || value < min || value > max) {
            throw new InvalidConfigException(property, value, min + ".." + max);
        }
        return value;
    }

    private static TransportKind parseTransport(String value) {
        try {
            return TransportKind.valueOf(String.valueOf(value).trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("transport", value, "AUTO|EPOLL|NIO");
        }
    }

    @Override
    public void stop() {
        Thread t = preload;
        preload = null;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        AdapterRuntime r = runtime;
        runtime = null;
        if (r != null) {
            // the runtime first: its health thread hands its last changes to the publisher
            r.close();
            log.info("FieldLink resource adapter stopped: every device connection closed");
        }
        NoticePublisher p = notices;
        notices = null;
        noticesOff = NoticeStats.disabled("none", "adapter stopped");
        if (p != null) {
            p.close();
        }
    }

    /** Whether {@link #start} ran and {@link #stop} did not. */
    boolean isStarted() {
        return runtime != null;
    }

    /** The running runtime; pools call this when they open. */
    AdapterRuntime runtime() throws ResourceException {
        AdapterRuntime r = runtime;
        if (r == null) {
            throw new IllegalStateException("the FieldLink resource adapter is not started");
        }
        return r;
    }

    /** Subscribes to device state edges of every pool of this adapter (see {@link DeviceStateListener}). */
    public void addDeviceStateListener(DeviceStateListener listener) {
        listeners.add(listener);
        AdapterRuntime r = runtime;
        if (r != null) {
            r.monitor().addListener(listener);
        }
    }

    public void removeDeviceStateListener(DeviceStateListener listener) {
        listeners.remove(listener);
        AdapterRuntime r = runtime;
        if (r != null) {
            r.monitor().removeListener(listener);
        }
    }

    /** Health of every device of every pool opened on this adapter. */
    public List<DeviceStatus> devices() {
        AdapterRuntime r = runtime;
        return r == null ? List.of() : r.pools().stream().flatMap(p -> p.statuses().stream()).toList();
    }

    @Override
    public void endpointActivation(MessageEndpointFactory factory, ActivationSpec spec) throws ResourceException {
        throw new NotSupportedException("FieldLink has no inbound messaging; subscribe to the JMS notices topic");
    }

    @Override
    public void endpointDeactivation(MessageEndpointFactory factory, ActivationSpec spec) {
    }

    @Override
    public XAResource[] getXAResources(ActivationSpec[] specs) {
        return null;
    }

    public String getNoticeConnectionFactory() {
        return noticeConnectionFactory;
    }

    public void setNoticeConnectionFactory(String noticeConnectionFactory) {
        this.noticeConnectionFactory = noticeConnectionFactory;
    }

    public String getNoticeTopic() {
        return noticeTopic;
    }

    public void setNoticeTopic(String noticeTopic) {
        this.noticeTopic = noticeTopic;
    }

    public Integer getNoticeOutboxSize() {
        return noticeOutboxSize;
    }

    public void setNoticeOutboxSize(Integer noticeOutboxSize) {
        this.noticeOutboxSize = noticeOutboxSize;
    }

    public Integer getNoticeRetryMaxDelayMs() {
        return noticeRetryMaxDelayMs;
    }

    public void setNoticeRetryMaxDelayMs(Integer noticeRetryMaxDelayMs) {
        this.noticeRetryMaxDelayMs = noticeRetryMaxDelayMs;
    }

    public Integer getNoticeFlushTimeoutMs() {
        return noticeFlushTimeoutMs;
    }

    public void setNoticeFlushTimeoutMs(Integer noticeFlushTimeoutMs) {
        this.noticeFlushTimeoutMs = noticeFlushTimeoutMs;
    }

    public String getInstanceName() {
        return instanceName;
    }

    public void setInstanceName(String instanceName) {
        this.instanceName = instanceName;
    }

    public Integer getIoThreads() {
        return ioThreads;
    }

    public void setIoThreads(Integer ioThreads) {
        this.ioThreads = ioThreads;
    }

    public String getTransport() {
        return transport;
    }

    public void setTransport(String transport) {
        this.transport = transport;
    }

    private Object[] identity() {
        return new Object[] {ioThreads, transport, noticeConnectionFactory, noticeTopic, noticeOutboxSize,
            noticeRetryMaxDelayMs, noticeFlushTimeoutMs, instanceName};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldLinkResourceAdapter other && java.util.Arrays.equals(identity(), other.identity());
    }

    @Override
    public int hashCode() {
        return Objects.hash(identity());
    }
}
