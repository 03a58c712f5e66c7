package io.fieldlink.api;

/**
 * A device could not be reached or did not answer. The message names the device, its address and
 * the reason; {@link #deviceId()} and {@link #address()} give them to code.
 */
public class DeviceException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String deviceId;
    private final String address;

    public DeviceException(String deviceId, String address, String reason) {
        this(deviceId, address, reason, null);
    }

    public DeviceException(String deviceId, String address, String reason, Throwable cause) {
        super(describe(deviceId, address, reason), cause);
        this.deviceId = deviceId;
        this.address = address;
    }

    private static String describe(String deviceId, String address, String reason) {
        return address == null
                ? "device " + deviceId + ": " + reason
                : "device " + deviceId + " (" + address + "): " + reason;
    }

    /** The device's id, as configured in its pool. */
    public String deviceId() {
        return deviceId;
    }

    /** The device's {@code host:port}, or {@code null} when the device is unknown. */
    public String address() {
        return address;
    }
}
