package io.fieldlink.jmx;

/**
 * The attributes a device's MXBean and a pool's share: a device's own values, or for a pool the
 * values of its devices together (sums, the worst state, the longest outage, merged latencies).
 * Every type is a JMX open type (int, long, String), so any client reads them without FieldLink's
 * classes. Units are in the names; counters count since the pool opened and never go down.
 *
 * <p>Latency is the time a {@code request()} took from the moment it held one of the device's
 * connections to its answer (resends of a request that never left included; the wait for a free
 * connection not: see {@link #getCallersWaiting()} and {@link #getBusyErrors()}), for answered
 * requests only. Percentiles and max are over the last 45 to 60 s; a percentile is at most
 * 12.5 % above the true value, the max is exact.
 */
public interface DeviceAttributes {

    /** {@code UNKNOWN}, {@code UP} or {@code DOWN}; a pool's is its worst device's (DOWN, then UNKNOWN). */
    String getState();

    /** {@link #getState()} as a gauge: UNKNOWN = 0, UP = 1, DOWN = 2. */
    int getStateCode();

    /** How long the current outage has lasted, ms; 0 while not DOWN. A pool's: its longest. */
    long getOutageMillis();

    /** UP to DOWN edges (the first verdict after the pool opened is not a drop). */
    long getDrops();

    /** Reconnect attempts in the current outage; 0 while not DOWN. */
    int getReconnectAttempts();

    /** Connections open to the device now, all owned by FieldLink. */
    int getOpenConnections();

    /** Open connections no caller holds now. */
    int getIdleConnections();

    /** Connections borrowed by callers now. */
    int getConnectionsInUse();

    /** Callers waiting in line for one of the device's connections now. */
    int getCallersWaiting();

    /** Requests in flight on connections shared by several callers now (pipelining, with correlation). */
    int getSharedRequestsInFlight();

    /** Requests one connection carries at once: {@code maxInFlightPerConnection}, or 1 (no correlation, or a one-at-a-time device). */
    int getMaxInFlightPerConnection();

    /** {@code request()} calls, whatever their outcome. */
    long getRequests();

    /** Requests with no answer within their timeout, and frames the device accepted no data for within it. */
    long getTimeouts();

    /** Calls whose connection broke under them (reset, closed, keepalive, a frame over maxFrameLength). */
    long getConnectionLostErrors();

    /** Calls that failed fast because the device was DOWN (getConnection or a wait for a connection). */
    long getDownErrors();

    /** Calls that waited {@code maxWaitMs} for one of the device's connections in vain. */
    long getBusyErrors();

    /** Other failed calls: a frame the pool cannot send, an interrupted caller. */
    long getOtherErrors();

    /** All failed calls: timeouts, connection lost, down, busy and other. */
    long getErrors();

    /** Median latency of the answered requests of the last 45 to 60 s, µs; 0 if none. */
    long getLatencyP50Micros();

    /** 99th percentile latency of the answered requests of the last 45 to 60 s, µs; 0 if none. */
    long getLatencyP99Micros();

    /** Slowest answered request of the last 45 to 60 s, µs (exact); 0 if none. */
    long getLatencyMaxMicros();

    /** Answered requests in the latency window (the last 45 to 60 s): how much the percentiles rest on. */
    long getLatencyWindowCount();

    /** Answered requests since the pool opened (with {@link #getLatencySumMicros()}: a mean latency rate). */
    long getLatencyCount();

    /** The latencies of all answered requests added up, µs. */
    long getLatencySumMicros();

    /** Frames that answered no request (stray, unsolicited, late, an unknown correlation id). */
    long getUnsolicitedFrames();

    /** Of those, frames thrown away unread (64 waiting, or older than a request or the borrower). */
    long getFramesDiscarded();

    /** Frames over {@code maxFrameLength}; each cost its connection. */
    long getOversizeFrames();

    /** Bytes the framing could not decode (e.g. a negative length field); each cost its connection. */
    long getMalformedFrames();

    /** Connections closed while their decoder held the start of a frame that never ended. */
    long getPartialFramesDiscarded();
}
