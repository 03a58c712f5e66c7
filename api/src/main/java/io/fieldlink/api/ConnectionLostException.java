package io.fieldlink.api;

/**
 * The connection broke while in use (keepalive or user timeout, reset, closed by the device,
 * frame over the size limit). The pool discards it; the device is marked DOWN if the network
 * failed.
 */
public class ConnectionLostException extends DeviceException {

    private static final long serialVersionUID = 1L;

    public ConnectionLostException(String deviceId, String address, String reason, Throwable cause) {
        super(deviceId, address, reason, cause);
    }
}
