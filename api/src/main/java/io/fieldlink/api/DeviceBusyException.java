package io.fieldlink.api;

/**
 * Every connection to the device stayed in use for as long as the caller was willing to wait
 * ({@code maxWaitMs}): the device is healthy but busy. Not an outage: retry, or size the cap.
 */
public class DeviceBusyException extends DeviceException {

    private static final long serialVersionUID = 1L;

    private final long waitedMs;
    private final int connections;

    /**
     * @param waitedMs    how long the caller waited in line
     * @param connections how many connections the device had for its callers (its cap, or its client limit)
     * @param detail      the cap and the queue, in words
     */
    public DeviceBusyException(String deviceId, String address, long waitedMs, int connections, String detail) {
        super(deviceId, address, "device busy: waited " + waitedMs + " ms for one of its " + connections
                + " connection(s) (" + detail + ")");
        this.waitedMs = waitedMs;
        this.connections = connections;
    }

    /** How long the caller waited, in milliseconds. */
    public long waitedMs() {
        return waitedMs;
    }

    /** The connections the device had for its callers while this one waited. */
    public int connections() {
        return connections;
    }
}
