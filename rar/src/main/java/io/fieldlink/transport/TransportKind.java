package io.fieldlink.transport;

/** Which Netty transport carries the links. */
public enum TransportKind {
    /** Linux epoll when its native library loads (gives TCP_USER_TIMEOUT), else NIO. */
    AUTO,
    /** Linux epoll; starting fails if it is not available. */
    EPOLL,
    /** The JDK's NIO: portable; keepalive idle/interval/count where the JDK has them, no TCP_USER_TIMEOUT. */
    NIO
}
