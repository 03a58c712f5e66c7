package io.fieldlink.spi;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.health.DeviceHealth;
import jakarta.resource.Referenceable;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;

import javax.naming.Reference;
import java.io.Serializable;
import java.util.List;

/**
 * The {@link DeviceConnectionFactory} applications get, in a container (through its pool) or
 * standalone (through {@link StandaloneConnectionManager}).
 *
 * <p>The DOWN check happens here, before the container's pool is asked for anything: while a device
 * is down the caller gets a {@code DeviceDownException} in microseconds, and no pool thread waits a
 * connect timeout per call.
 */
public final class DeviceConnectionFactoryImpl implements DeviceConnectionFactory, Referenceable, Serializable,
        AutoCloseable {

    private static final long serialVersionUID = 1L;

    private final transient DeviceManagedConnectionFactory mcf;
    private final transient ConnectionManager cm;
    private final transient StandaloneConnectionManager standalone;
    private Reference reference;

    DeviceConnectionFactoryImpl(DeviceManagedConnectionFactory mcf, ConnectionManager cm,
                                StandaloneConnectionManager standalone) {
        this.mcf = mcf;
        this.cm = cm;
        this.standalone = standalone;
    }

    @Override
    public DeviceConnection getConnection() throws DeviceException {
        return getConnection(null);
    }

    @Override
    public DeviceConnection getConnection(String deviceId) throws DeviceException {
        PoolRuntime pool = pool();
        DeviceHealth device = pool.device(deviceId);
        int waitMs = pool.config().waitWhileDownMs();
        if (waitMs > 0 && !device.isUp()) {
            try {
                device.awaitUp(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            device.checkUp();
            return allocate(device);
        } catch (DeviceException e) {
            device.meter().failed(e); // the fail-fast DOWN error above all
            throw e;
        }
    }

    private DeviceConnection allocate(DeviceHealth device) throws DeviceException {
        try {
            return (DeviceConnection) cm.allocateConnection(mcf, new DeviceRequestInfo(device.device().id()));
        } catch (ResourceException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof DeviceException de) {
                    throw de;
                }
            }
            throw new DeviceException(device.device().id(), device.device().address(),
                    "no connection from the pool: " + e.getMessage(), e);
        }
    }

    @Override
    public List<DeviceStatus> devices() {
        try {
            return pool().statuses();
        } catch (DeviceException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private PoolRuntime pool() throws DeviceException {
        try {
            return mcf.pool();
        } catch (ResourceException e) {
            throw new DeviceException("?", null, "pool unavailable: " + e.getMessage(), e);
        }
    }

    /**
     * Standalone factories: closes every connection and stops the adapter's threads. In a container
     * the container owns the lifecycle and this does nothing.
     */
    @Override
    public void close() {
        if (standalone != null) {
            standalone.close();
            mcf.closeStandalone();
        }
    }

    @Override
    public void setReference(Reference reference) {
        this.reference = reference;
    }

    @Override
    public Reference getReference() {
        return reference;
    }
}
