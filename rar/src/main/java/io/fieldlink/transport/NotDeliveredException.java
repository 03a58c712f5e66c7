package io.fieldlink.transport;

import io.fieldlink.api.ConnectionLostException;

/**
 * The connection was already closed when the request was to be written: not a byte of it reached
 * the device, so sending it again on another connection cannot do anything twice. The typical case
 * is a device closing an idle connection just as a caller borrows it.
 */
public final class NotDeliveredException extends ConnectionLostException {

    private static final long serialVersionUID = 1L;

    NotDeliveredException(String deviceId, String address, String reason, Throwable cause) {
        super(deviceId, address, reason, cause);
    }
}
