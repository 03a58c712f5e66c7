package io.fieldlink.config;

/**
 * Socket, timeout and heartbeat settings shared by every connection of a pool, validated.
 *
 * @param connectTimeoutMs         bound on one TCP connect
 * @param requestTimeoutMs         default bound on a request's answer and on a write the device does not accept
 * @param keepAliveIdleSeconds     TCP_KEEPIDLE: idle time before the first probe
 * @param keepAliveIntervalSeconds TCP_KEEPINTVL: time between unanswered probes
 * @param keepAliveCount           TCP_KEEPCNT: unanswered probes before the kernel gives up
 * @param userTimeoutMs            effective TCP_USER_TIMEOUT (Linux epoll only): bound on unacknowledged sent data
 *                                 and, on Linux, the idle detection bound in place of TCP_KEEPCNT; 0 = not set
 * @param heartbeatIntervalMs      application heartbeat on idle pooled connections; 0 = off
 * @param heartbeatRequest         the heartbeat frame
 * @param heartbeatTimeoutMs       bound on the heartbeat's answer
 * @param payloadPreviewBytes      how many payload bytes a log line may show
 * @param framing                  the framing
 * @param correlation              where frames carry a transaction id, or {@link Correlation#NONE}
 */
public record LinkSettings(int connectTimeoutMs, int requestTimeoutMs, int keepAliveIdleSeconds,
                           int keepAliveIntervalSeconds, int keepAliveCount, int userTimeoutMs,
                           int heartbeatIntervalMs, byte[] heartbeatRequest, int heartbeatTimeoutMs,
                           int payloadPreviewBytes, FramingConfig framing, Correlation correlation) {

    public LinkSettings {
        heartbeatRequest = heartbeatRequest.clone();
    }

    @Override
    public byte[] heartbeatRequest() {
        return heartbeatRequest.clone();
    }

    /** The worst case, in ms, in which keepalive notices a silently dead idle peer. */
    public long keepAliveBoundMs() {
        return 1000L * (keepAliveIdleSeconds + (long) keepAliveIntervalSeconds * keepAliveCount);
    }

    public boolean heartbeatEnabled() {
        return heartbeatIntervalMs > 0;
    }
}
