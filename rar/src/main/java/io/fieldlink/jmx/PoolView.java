package io.fieldlink.jmx;

import io.fieldlink.api.DeviceState;
import io.fieldlink.health.DeviceHealth;

import java.util.List;

/** The {@link PoolMXBean} of one pool: its devices counted by state, and their attributes together. */
final class PoolView extends DevicesView implements PoolMXBean {

    private final String pool;

    PoolView(String pool, List<DeviceHealth> devices) {
        super(devices);
        this.pool = pool;
    }

    @Override
    public String getPool() {
        return pool;
    }

    @Override
    public int getDevices() {
        return devices().size();
    }

    @Override
    public int getDevicesUp() {
        return count(DeviceState.UP);
    }

    @Override
    public int getDevicesDown() {
        return count(DeviceState.DOWN);
    }

    @Override
    public int getDevicesUnknown() {
        return count(DeviceState.UNKNOWN);
    }
}
