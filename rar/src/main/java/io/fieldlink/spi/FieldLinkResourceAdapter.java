package io.fieldlink.spi;

import io.fieldlink.api.DeviceStatus;
import io.fieldlink.config.InvalidConfigException;
import io.fieldlink.health.DeviceStateListener;
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
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

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

    private Integer ioThreads = DEFAULT_IO_THREADS;
    private String transport = DEFAULT_TRANSPORT;

    private transient volatile AdapterRuntime runtime;
    private final transient List<DeviceStateListener> listeners = new CopyOnWriteArrayList<>();

    @Override
    public void start(BootstrapContext ctx) throws ResourceAdapterInternalException {
        int threads;
        TransportKind kind;
        try {
            if (ioThreads == null || ioThreads < 1 || ioThreads > 64) {
                throw new InvalidConfigException("ioThreads", ioThreads, "1..64");
            }
            threads = ioThreads;
            kind = parseTransport(transport);
        } catch (InvalidConfigException e) {
            throw new ResourceAdapterInternalException("FieldLink resource adapter: " + e.getMessage(), e);
        }
        try {
            AdapterRuntime r = new AdapterRuntime(threads, kind, "fieldlink");
            listeners.forEach(r.monitor()::addListener);
            runtime = r;
        } catch (RuntimeException | Error e) {
            throw new ResourceAdapterInternalException("FieldLink resource adapter failed to start: " + e, e);
        }
        log.info("FieldLink resource adapter started ({})", runtime.transport().describe());
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
        AdapterRuntime r = runtime;
        runtime = null;
        if (r != null) {
            r.close();
            log.info("FieldLink resource adapter stopped: every device connection closed");
        }
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

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldLinkResourceAdapter other && Objects.equals(ioThreads, other.ioThreads)
                && Objects.equals(transport, other.transport);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ioThreads, transport);
    }
}
