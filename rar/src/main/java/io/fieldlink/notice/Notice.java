package io.fieldlink.notice;

import io.fieldlink.health.DeviceStateChange;

/**
 * One drop or restore notice, ready to send: the JSON body and the values of its message
 * properties. Its {@code id} is stable across retries, so subscribers can drop duplicates.
 *
 * @param id       unique per notice: {@code instance/adapterStartMillis/sequence}
 * @param change   the state edge it reports
 * @param json     the message body
 */
public record Notice(String id, DeviceStateChange change, String json) {

    /** {@code DROPPED} or {@code RESTORED}: the {@code fieldlinkEvent} property. */
    public String event() {
        return change.kind().name();
    }

    /** The {@code fieldlinkDevice} property. */
    public String deviceId() {
        return change.deviceId();
    }
}
