package io.fieldlink.api;

/** The device did not answer within the timeout. The connection it was used on is discarded. */
public class DeviceTimeoutException extends DeviceException {

    private static final long serialVersionUID = 1L;

    public DeviceTimeoutException(String deviceId, String address, String reason) {
        super(deviceId, address, reason);
    }
}
