package io.fieldlink.spi;

import io.fieldlink.health.DeviceHealth;
import jakarta.resource.spi.ManagedConnectionMetaData;

/** What the container may show about a pooled connection. */
final class DeviceConnectionMetaData implements ManagedConnectionMetaData {

    private final DeviceHealth health;

    DeviceConnectionMetaData(DeviceHealth health) {
        this.health = health;
    }

    @Override
    public String getEISProductName() {
        return "FieldLink device " + health.device();
    }

    @Override
    public String getEISProductVersion() {
        String v = DeviceConnectionMetaData.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    @Override
    public int getMaxConnections() {
        return 0;
    }

    @Override
    public String getUserName() {
        return "";
    }
}
