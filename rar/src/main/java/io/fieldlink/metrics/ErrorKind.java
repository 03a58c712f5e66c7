package io.fieldlink.metrics;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceTimeoutException;

/**
 * What went wrong for a caller, as an operator counts it. Decided in one place, from the type of the
 * exception the caller got; each kind is one counter of {@link DeviceMeter}.
 */
public enum ErrorKind {
    /** No answer within the request's timeout, or the device accepted no data within it. */
    TIMEOUT,
    /** The connection broke under the call (reset, closed, keepalive, a frame over maxFrameLength). */
    CONNECTION_LOST,
    /** The device is DOWN: the caller failed fast, no connection was tried. */
    DOWN,
    /** All of the device's connections stayed in use for {@code maxWaitMs}. */
    BUSY,
    /** Anything else: a frame the pool cannot send, an interrupted caller, a pool that cannot open. */
    OTHER;

    /** The kind of {@code e}; read top to bottom, the first match decides (the subclasses first). */
    public static ErrorKind of(DeviceException e) {
        if (e instanceof DeviceTimeoutException) {
            return TIMEOUT;
        }
        if (e instanceof ConnectionLostException) {
            return CONNECTION_LOST; // NotDeliveredException too: the connection broke before the frame left
        }
        if (e instanceof DeviceDownException) {
            return DOWN;
        }
        if (e instanceof DeviceBusyException) {
            return BUSY;
        }
        return OTHER;
    }
}
