package io.fieldlink.spi;

import jakarta.resource.spi.ConnectionRequestInfo;

import java.util.Objects;

/**
 * Carries the requested device id through the container's pool, so that a pool serving a table of
 * devices hands out a connection to the right one ({@code matchManagedConnections} compares it).
 */
public final class DeviceRequestInfo implements ConnectionRequestInfo {

    private final String deviceId;

    public DeviceRequestInfo(String deviceId) {
        this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    }

    public String deviceId() {
        return deviceId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceRequestInfo other && other.deviceId.equals(deviceId);
    }

    @Override
    public int hashCode() {
        return deviceId.hashCode();
    }

    @Override
    public String toString() {
        return "DeviceRequestInfo[" + deviceId + "]";
    }
}
