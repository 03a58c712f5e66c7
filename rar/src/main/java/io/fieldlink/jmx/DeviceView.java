package io.fieldlink.jmx;

import io.fieldlink.health.DeviceHealth;

import java.util.List;

/** The {@link DeviceMXBean} of one device: its live state, connections and counters. */
final class DeviceView extends DevicesView implements DeviceMXBean {

    private final DeviceHealth device;

    DeviceView(DeviceHealth device) {
        super(List.of(device));
        this.device = device;
    }

    @Override
    public String getPool() {
        return device.pool();
    }

    @Override
    public String getDeviceId() {
        return device.device().id();
    }

    @Override
    public String getAddress() {
        return device.device().address();
    }
}
