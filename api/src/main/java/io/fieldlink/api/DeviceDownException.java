package io.fieldlink.api;

import java.time.Instant;

/** The device is DOWN: the adapter failed fast instead of waiting for a connect to time out. */
public class DeviceDownException extends DeviceException {

    private static final long serialVersionUID = 1L;

    private final Instant downSince;

    public DeviceDownException(String deviceId, String address, Instant downSince, String lastCause) {
        super(deviceId, address, "device down since " + downSince + (lastCause == null ? "" : " (" + lastCause + ")")
                + "; the adapter is reconnecting in the background");
        this.downSince = downSince;
    }

    /** When the device went DOWN. */
    public Instant downSince() {
        return downSince;
    }
}
