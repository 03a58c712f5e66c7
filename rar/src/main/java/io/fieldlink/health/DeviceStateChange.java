package io.fieldlink.health;

import io.fieldlink.api.DeviceState;

import java.time.Instant;

/**
 * One edge of a device's state: UP to DOWN ({@link Kind#DROPPED}) or DOWN to UP ({@link Kind#RESTORED}).
 *
 * @param kind                 which edge
 * @param pool                 the pool (managed connection factory) the device belongs to
 * @param deviceId             the device
 * @param address              its {@code host:port}
 * @param cause                why it dropped (the cause of the outage, also on RESTORED)
 * @param downSince            when the outage began
 * @param downtimeMs           RESTORED: how long the outage lasted; DROPPED: 0
 * @param reconnectAttempts    RESTORED: attempts it took; DROPPED: 0
 * @param connectionsAffected  DROPPED: open connections the outage broke; RESTORED: 0
 * @param sequence             increases by one per change across the adapter: orders changes of one device
 * @param timestamp            when the edge happened
 * @param initial              the device's first verdict since the adapter (or pool) started, not an edge
 *                             seen by this instance: DROPPED = unreachable at start, RESTORED = reachable
 */
public record DeviceStateChange(Kind kind, String pool, String deviceId, String address, String cause,
                                Instant downSince, long downtimeMs, int reconnectAttempts, int connectionsAffected,
                                long sequence, Instant timestamp, boolean initial) {

    /** The two edges. */
    public enum Kind {
        DROPPED(DeviceState.DOWN), RESTORED(DeviceState.UP);

        private final DeviceState to;

        Kind(DeviceState to) {
            this.to = to;
        }

        /** The state the device is in after this edge. */
        public DeviceState to() {
            return to;
        }
    }
}
