package io.fieldlink.transport;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.TooLongFrameException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/** Turns what Netty and the JDK throw into a {@link LinkFailure} whose kind drives the device's health. */
final class Failures {

    private Failures() {
    }

    static LinkFailure classify(Throwable t, String context) {
        Throwable cause = t;
        while (cause.getCause() != null && !(cause instanceof IOException) && !(cause instanceof CodecException)) {
            cause = cause.getCause();
        }
        String message = String.valueOf(cause.getMessage());
        String reason = context + ": " + message;
        if (cause instanceof TooLongFrameException) {
            return new LinkFailure(LinkFailure.Kind.PROTOCOL, "frame over maxFrameLength (" + message + ")", cause);
        }
        if (cause instanceof CodecException) {
            // e.g. a length field that decodes to a negative or too-short length: garbage on this connection
            return new LinkFailure(LinkFailure.Kind.PROTOCOL, "bad frame (" + message + ")", cause);
        }
        if (cause instanceof ClosedChannelException) {
            // a write that raced the device's FIN: the close decides, through a probe
            return new LinkFailure(LinkFailure.Kind.PEER_CLOSED, context + ": connection already closed", cause);
        }
        if (cause instanceof ConnectTimeoutException) {
            return new LinkFailure(LinkFailure.Kind.TIMED_OUT, context + ": connect timed out", cause);
        }
        // The JDK and Netty's native transport surface errno only as text: ETIMEDOUT reads
        // "Connection timed out" (keepalive probes or TCP_USER_TIMEOUT ran out), ECONNRESET "Connection reset".
        String m = message.toLowerCase(Locale.ROOT);
        if (cause instanceof NoRouteToHostException || cause instanceof ConnectException) {
            if (m.contains("refused")) {
                return new LinkFailure(LinkFailure.Kind.REFUSED, context + ": connection refused", cause);
            }
            if (m.contains("reset")) {
                // accepted and reset before the connect completed on our side
                return new LinkFailure(LinkFailure.Kind.RESET, context + ": connection reset by the device", cause);
            }
            String why = m.contains("no route") ? "no route to host" : m.contains("unreachable") ? "network unreachable"
                    : message;
            return new LinkFailure(LinkFailure.Kind.NETWORK, context + ": " + why, cause);
        }
        if (m.contains("timed out")) {
            return new LinkFailure(LinkFailure.Kind.TIMED_OUT, context + ": connection timed out "
                    + "(keepalive probes or TCP user timeout unanswered)", cause);
        }
        if (m.contains("reset")) {
            return new LinkFailure(LinkFailure.Kind.RESET, context + ": connection reset by the device", cause);
        }
        if (m.contains("broken pipe")) {
            return new LinkFailure(LinkFailure.Kind.PEER_CLOSED, context + ": broken pipe (closed by the device)", cause);
        }
        if (m.contains("unreachable") || m.contains("no route")) {
            return new LinkFailure(LinkFailure.Kind.NETWORK, reason, cause);
        }
        return new LinkFailure(LinkFailure.Kind.OTHER, reason, cause);
    }
}
