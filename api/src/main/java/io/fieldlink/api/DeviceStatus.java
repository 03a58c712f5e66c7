package io.fieldlink.api;

import java.time.Instant;

/**
 * A read-only snapshot of one device's health.
 *
 * @param deviceId           the device's id in its pool
 * @param address            {@code host:port}
 * @param state              UNKNOWN (first connection not settled yet), UP or DOWN
 * @param since              when the device entered {@code state}
 * @param openConnections    connections to the device open right now (pooled, in use or spare)
 * @param drops              how many times the device went from UP to DOWN since the adapter started
 * @param lastCause          why the device last went DOWN, or {@code null} if it never did
 * @param reconnectAttempts  reconnect attempts in the current outage (0 while UP)
 * @param noticesDropped     drop/restore notices of this device lost to a full notice outbox (broker away too long)
 * @param connectionsInUse   connections borrowed by callers right now
 * @param callersWaiting     callers waiting in line for one of the device's connections right now
 */
public record DeviceStatus(String deviceId, String address, DeviceState state, Instant since,
                           int openConnections, long drops, String lastCause, int reconnectAttempts,
                           long noticesDropped, int connectionsInUse, int callersWaiting) {
}
