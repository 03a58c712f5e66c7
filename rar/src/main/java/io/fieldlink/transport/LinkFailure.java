package io.fieldlink.transport;

/**
 * Why a {@link DeviceLink} stopped working. The kind decides what the device's health makes of it.
 *
 * @param kind   the class of failure
 * @param reason a sentence for logs, exceptions and notices
 * @param cause  the underlying exception, if any
 */
public record LinkFailure(Kind kind, String reason, Throwable cause) {

    /** Failure classes, by what they prove about the device. */
    public enum Kind {
        /** The kernel gave up: keepalive probes or TCP_USER_TIMEOUT went unanswered. The path is dead. */
        TIMED_OUT,
        /** The device stopped answering heartbeats although its kernel still ACKs: the device hangs. */
        HEARTBEAT_LOST,
        /** Some other network error (no route, unreachable, a name that does not resolve). */
        NETWORK,
        /** A connect was refused (RST to the SYN): the device is there but takes no (more) connections. */
        REFUSED,
        /** The device reset the connection: it may have restarted, or may just have dropped this one. */
        RESET,
        /** The device closed the connection in an orderly way (FIN). */
        PEER_CLOSED,
        /** No answer within the request timeout, or the device stopped accepting data. */
        RESPONSE_TIMEOUT,
        /** The device broke the framing (frame over maxFrameLength): only this connection pays. */
        PROTOCOL,
        /** The device went DOWN because another of its connections failed. */
        DEVICE_DOWN,
        /** An error nothing above explains: the device is checked with a probe rather than declared DOWN. */
        OTHER,
        /** The application gave the connection up mid-exchange (interrupted): the pool must drop it; the device is fine. */
        ABANDONED,
        /** The adapter closed the link itself (pool shrink, destroy, shutdown): not a failure. */
        LOCAL
    }

    /** Whether the container must hear of it as {@code CONNECTION_ERROR_OCCURRED}. */
    public boolean isError() {
        return kind != Kind.LOCAL;
    }

    public static LinkFailure local(String reason) {
        return new LinkFailure(Kind.LOCAL, reason, null);
    }
}
