package io.fieldlink.transport;

import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.LinkSettings;
import io.fieldlink.metrics.DeviceMeter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.net.SocketOption;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The event loops that carry every device connection of an adapter, and the factory of
 * {@link DeviceLink}s. A small fixed number of threads ({@code ioThreads}) serves all connections:
 * reads, failure detection, heartbeats, timeouts and reconnect timers; no thread per socket.
 *
 * <pre>{@code
 * try (LinkTransport transport = new LinkTransport(2, TransportKind.AUTO, "fieldlink")) {
 *     DeviceLink link = transport.connect(new DeviceAddress("plc-7", "10.0.0.7", 502), settings)
 *                                .get(6, TimeUnit.SECONDS);
 *     byte[] reply = link.request(frame, 2_000);
 * }
 * }</pre>
 *
 * <p>Every connection gets SO_KEEPALIVE with the pool's TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT
 * and, on epoll, TCP_USER_TIMEOUT. Where the platform cannot set them the transport says so once in
 * the log: the system's keepalive (two hours on most systems) then applies and only the heartbeat
 * bounds detection.
 */
public final class LinkTransport implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LinkTransport.class);
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private final MultiThreadIoEventLoopGroup group;
    private final Class<? extends SocketChannel> channelType;
    private final boolean epoll;
    private final boolean nioKeepAliveTuning;
    private final AtomicBoolean warnedUserTimeout = new AtomicBoolean();
    /**
     * Host names are resolved here, never on an event loop: one slow or dead name server would
     * otherwise stall the reads, heartbeats and timers of every other device on that loop.
     */
    private final ThreadPoolExecutor resolver;

    /** Turns a host name into an address; blocking. The seam that lets a test play a slow name server. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress resolve(String host) throws UnknownHostException;

        Resolver SYSTEM = InetAddress::getByName;
    }

    private final Resolver names;

    public LinkTransport(int ioThreads, TransportKind kind, String threadPrefix) {
        this(ioThreads, kind, threadPrefix, Resolver.SYSTEM);
    }

    public LinkTransport(int ioThreads, TransportKind kind, String threadPrefix, Resolver names) {
        this.names = names;
        boolean useEpoll = switch (kind) {
            case EPOLL -> {
                Epoll.ensureAvailability();
                yield true;
            }
            case NIO -> false;
            case AUTO -> Epoll.isAvailable();
        };
        if (kind == TransportKind.AUTO && !useEpoll) {
            log.info("Linux epoll transport not available ({}); using NIO: TCP_USER_TIMEOUT cannot be set, "
                    + "stuck writes are bounded by requestTimeoutMs", String.valueOf(Epoll.unavailabilityCause()));
        }
        this.epoll = useEpoll;
        this.channelType = useEpoll ? EpollSocketChannel.class : NioSocketChannel.class;
        this.group = new MultiThreadIoEventLoopGroup(ioThreads, AdapterThreads.factory(threadPrefix + "-io"),
                useEpoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.nioKeepAliveTuning = !useEpoll && nioSupportsKeepAliveTuning();
        // up to 4 lookups at once (one slow name must not hold up the others); threads end when idle
        this.resolver = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(10_000),
                AdapterThreads.factory(threadPrefix + "-resolve"));
        this.resolver.allowCoreThreadTimeOut(true);
        if (!useEpoll && !nioKeepAliveTuning) {
            log.warn("This JDK/OS cannot set TCP keepalive idle/interval/count per socket (see JDK-8308593 on "
                    + "Windows); the system default applies (often 2 hours). Set heartbeatIntervalMs to bound detection.");
        }
    }

    private static boolean nioSupportsKeepAliveTuning() {
        try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open()) {
            Set<SocketOption<?>> options = probe.supportedOptions();
            return options.contains(ExtendedSocketOptions.TCP_KEEPIDLE)
                    && options.contains(ExtendedSocketOptions.TCP_KEEPINTERVAL)
                    && options.contains(ExtendedSocketOptions.TCP_KEEPCOUNT);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether connections carry TCP_USER_TIMEOUT (Linux epoll). */
    public boolean supportsUserTimeout() {
        return epoll;
    }

    /** A description for the start-up log. */
    public String describe() {
        return (epoll ? "epoll" : "nio") + ", " + group.executorCount() + " I/O thread(s)";
    }

    /** An event loop for timers (reconnect backoff, probes); never block on it. */
    public EventLoop timerLoop() {
        return group.next();
    }

    /** {@link #connect(DeviceAddress, LinkSettings, DeviceMeter)} with a meter nobody reads (tests, tools). */
    public CompletableFuture<DeviceLink> connect(DeviceAddress device, LinkSettings settings) {
        return connect(device, settings, new DeviceMeter());
    }

    /**
     * Opens a connection. The future completes with a usable link, or exceptionally with the
     * {@link LinkFailure} (wrapped in a {@link LinkConnectException}) within {@code connectTimeoutMs}.
     * The link counts the frames it cannot hand to anyone into {@code meter}, the device's.
     */
    public CompletableFuture<DeviceLink> connect(DeviceAddress device, LinkSettings settings, DeviceMeter meter) {
        CompletableFuture<DeviceLink> result = new CompletableFuture<>();
        if (group.isShuttingDown()) {
            result.completeExceptionally(new LinkConnectException(LinkFailure.local("the adapter is stopping")));
            return result;
        }
        if (settings.userTimeoutMs() > 0 && !epoll && warnedUserTimeout.compareAndSet(false, true)) {
            log.info("userTimeoutMs={} is ignored on the NIO transport; stuck writes are bounded by requestTimeoutMs",
                    settings.userTimeoutMs());
        }
        Bootstrap b = new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, settings.connectTimeoutMs())
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
        if (epoll) {
            b.option(EpollChannelOption.TCP_KEEPIDLE, settings.keepAliveIdleSeconds())
                    .option(EpollChannelOption.TCP_KEEPINTVL, settings.keepAliveIntervalSeconds())
                    .option(EpollChannelOption.TCP_KEEPCNT, settings.keepAliveCount());
            if (settings.userTimeoutMs() > 0) {
                b.option(EpollChannelOption.TCP_USER_TIMEOUT, settings.userTimeoutMs());
            }
        } else if (nioKeepAliveTuning) {
            b.option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), settings.keepAliveIdleSeconds())
                    .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), settings.keepAliveIntervalSeconds())
                    .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), settings.keepAliveCount());
        }
        b.handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                DeviceLink link = new DeviceLink(device, ch, settings, meter);
                if (settings.heartbeatEnabled()) {
                    ch.pipeline().addLast("heartbeat-idle", new IdleStateHandler(0, 0,
                            settings.heartbeatIntervalMs(), TimeUnit.MILLISECONDS));
                }
                var decoder = Framers.decoder(settings.framing(), link);
                if (decoder != null) {
                    ch.pipeline().addLast("framing", decoder);
                }
                ch.pipeline().addLast("link", new LinkHandler(link, settings));
                ch.attr(LINK).set(link);
            }
        });
        if (isLiteral(device.host())) {
            connectResolved(b, device, new InetSocketAddress(device.host(), device.port()), result);
            return result;
        }
        // re-resolved on every connect: gateways on DHCP change address
        ScheduledFuture<?> deadline = group.next().schedule(() -> result.completeExceptionally(new LinkConnectException(
                new LinkFailure(LinkFailure.Kind.TIMED_OUT, "resolving " + device.host() + " took longer than "
                        + settings.connectTimeoutMs() + " ms", null))), settings.connectTimeoutMs(), TimeUnit.MILLISECONDS);
        try {
            resolver.execute(() -> {
                if (result.isDone()) {
                    return; // given up while queued: do not ask the name server for nobody
                }
                InetSocketAddress address;
                try {
                    address = new InetSocketAddress(names.resolve(device.host()), device.port());
                } catch (UnknownHostException | RuntimeException e) {
                    deadline.cancel(false);
                    result.completeExceptionally(new LinkConnectException(new LinkFailure(LinkFailure.Kind.NETWORK,
                            "cannot resolve " + device.host() + ": " + e.getMessage(), e)));
                    return;
                }
                deadline.cancel(false);
                if (!result.isDone()) {
                    connectResolved(b, device, address, result);
                }
            });
        } catch (RejectedExecutionException full) {
            result.completeExceptionally(new LinkConnectException(group.isShuttingDown()
                    ? LinkFailure.local("the adapter is stopping")
                    : new LinkFailure(LinkFailure.Kind.OTHER, "too many name lookups waiting", full)));
        }
        return result;
    }

    private static boolean isLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }

    private void connectResolved(Bootstrap b, DeviceAddress device, InetSocketAddress address,
                                 CompletableFuture<DeviceLink> result) {
        ChannelFuture f;
        try {
            f = b.connect(address);
        } catch (RuntimeException e) {
            result.completeExceptionally(new LinkConnectException(Failures.classify(e, "connect to "
                    + device.address() + " failed")));
            return;
        }
        // a link that opens after the caller gave up must not stay open unowned
        result.whenComplete((link, error) -> {
            if (error != null && f.isSuccess()) {
                DeviceLink late = f.channel().attr(LINK).get();
                late.close(LinkFailure.local("connect completed after it was given up"));
            } else if (error != null) {
                f.channel().close();
            }
        });
        f.addListener((ChannelFuture cf) -> {
            if (cf.isSuccess()) {
                DeviceLink link = cf.channel().attr(LINK).get();
                if (link.isUsable()) {
                    if (!result.complete(link)) {
                        link.close(LinkFailure.local("connect completed after it was given up"));
                    }
                } else {
                    result.completeExceptionally(new LinkConnectException(link.failure() == null
                            ? new LinkFailure(LinkFailure.Kind.PEER_CLOSED, "closed right after connect", null)
                            : link.failure()));
                }
            } else {
                result.completeExceptionally(new LinkConnectException(
                        Failures.classify(cf.cause(), "connect to " + device.address() + " failed")));
            }
        });
    }

    private static final io.netty.util.AttributeKey<DeviceLink> LINK = io.netty.util.AttributeKey.valueOf("fieldlink.link");

    /** Closes every connection and stops the event loops; returns when their threads have ended (bounded). */
    @Override
    public void close() {
        resolver.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** A failed connect, carrying its classified {@link LinkFailure}. */
    public static final class LinkConnectException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient LinkFailure failure;

        public LinkConnectException(LinkFailure failure) {
            super(failure.reason(), failure.cause(), false, false);
            this.failure = failure;
        }

        public LinkFailure failure() {
            return failure;
        }
    }
}
