package io.fieldlink.testsupport;

import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.spi.DeviceConnectionFactoryImpl;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.spi.FieldLinkResourceAdapter;
import jakarta.resource.ResourceException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A started resource adapter with a recording state listener, and factories on it made the way a
 * standalone caller makes them. Closing it stops the adapter.
 */
public final class TestAdapter implements AutoCloseable {

    public final FieldLinkResourceAdapter ra = new FieldLinkResourceAdapter();
    public final RecordingListener events = new RecordingListener();
    private final List<DeviceConnectionFactoryImpl> factories = new ArrayList<>();

    public TestAdapter() {
        this(ra -> { });
    }

    public TestAdapter(String transport) {
        this(ra -> ra.setTransport(transport));
    }

    /** An adapter configured by {@code configure} before it starts. */
    public TestAdapter(Consumer<FieldLinkResourceAdapter> configure) {
        configure.accept(ra);
        ra.addDeviceStateListener(events);
        try {
            ra.start(null);
        } catch (ResourceException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A managed connection factory for one simulated device, with quick test settings, associated with the adapter. */
    public DeviceManagedConnectionFactory mcf(String id, DeviceSimulator sim, Consumer<DeviceManagedConnectionFactory> tune) {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setDeviceId(id);
        mcf.setHost(sim.host());
        mcf.setPort(sim.port());
        mcf.setConnectTimeoutMs(1000);
        mcf.setRequestTimeoutMs(2000);
        mcf.setReconnectInitialDelayMs(50);
        mcf.setReconnectMaxDelayMs(500);
        tune.accept(mcf);
        try {
            mcf.setResourceAdapter(ra);
        } catch (ResourceException e) {
            throw new IllegalStateException(e);
        }
        return mcf;
    }

    /**
     * A factory with the adapter's own pool over {@code mcf}, returned once every device of the pool
     * has its first verdict (UP or DOWN): tests start from a known state, not from UNKNOWN.
     */
    public DeviceConnectionFactoryImpl factory(DeviceManagedConnectionFactory mcf) {
        DeviceConnectionFactoryImpl f = factoryAsOpened(mcf);
        try {
            for (var d : f.devices()) {
                events.awaitFirstVerdict(d.deviceId());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return f;
    }

    /** A factory over {@code mcf} whose pool opens now; its devices may still be UNKNOWN. */
    public DeviceConnectionFactoryImpl factoryAsOpened(DeviceManagedConnectionFactory mcf) {
        try {
            DeviceConnectionFactoryImpl f = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory();
            factories.add(f);
            f.devices();
            return f;
        } catch (ResourceException e) {
            throw new IllegalStateException(e);
        }
    }

    public DeviceConnectionFactoryImpl factory(String id, DeviceSimulator sim, Consumer<DeviceManagedConnectionFactory> tune) {
        return factory(mcf(id, sim, tune));
    }

    @Override
    public void close() {
        factories.forEach(DeviceConnectionFactoryImpl::close);
        ra.stop();
    }
}
