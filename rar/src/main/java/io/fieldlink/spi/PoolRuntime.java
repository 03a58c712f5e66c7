package io.fieldlink.spi;

import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.PoolConfig;
import io.fieldlink.health.DeviceHealth;
import io.fieldlink.jmx.MXBeanRegistry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The running devices of one pool (one managed connection factory), in configuration order, and their MXBeans. */
public final class PoolRuntime {

    private final String name;
    private final PoolConfig config;
    private final Map<String, DeviceHealth> devices = new LinkedHashMap<>();
    private final MXBeanRegistry.Registration mbeans;
    private volatile boolean closed;

    PoolRuntime(String name, PoolConfig config, List<DeviceHealth> devices, MXBeanRegistry.Registration mbeans) {
        this.name = name;
        this.config = config;
        this.mbeans = mbeans;
        devices.forEach(d -> this.devices.put(d.device().id(), d));
    }

    public String name() {
        return name;
    }

    public PoolConfig config() {
        return config;
    }

    /**
     * The device with this id. Unknown ids fail here, before any socket is opened: only configured
     * devices can ever be reached.
     */
    public DeviceHealth device(String id) throws DeviceException {
        DeviceHealth d = devices.get(id == null ? config.defaultDevice().id() : id);
        if (d == null) {
            throw new DeviceException(String.valueOf(id), null, "not a device of pool " + name
                    + "; it serves " + devices.keySet());
        }
        return d;
    }

    public DeviceAddress defaultDevice() {
        return config.defaultDevice();
    }

    public List<DeviceStatus> statuses() {
        return devices.values().stream().map(DeviceHealth::status).toList();
    }

    public List<DeviceHealth> devices() {
        return List.copyOf(devices.values());
    }

    public boolean isClosed() {
        return closed;
    }

    void close() {
        closed = true;
        mbeans.close(); // first: a JMX client must not read a pool that is half closed
        devices.values().forEach(DeviceHealth::close);
    }
}
