package io.fieldlink.api;

/** Whether the adapter can currently reach a device. */
public enum DeviceState {
    /** Not known yet: the first connection has not settled (the pool just opened, or connects on demand). */
    UNKNOWN,
    /** The last connect or exchange with the device worked. */
    UP,
    /** A connection to the device failed; the adapter is reconnecting in the background. */
    DOWN
}
