package io.fieldlink.simulator;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A field device on loopback: a real TCP server that speaks a framing and echoes, delays, hangs,
 * closes or resets on command. Tests pull its cable with an nftables rule on {@link #port()}.
 *
 * <pre>{@code
 * try (DeviceSimulator plc = DeviceSimulator.start(SimFraming.modbusTcp())) {
 *     mcf.setHost("127.0.0.1");
 *     mcf.setPort(plc.port());
 *     plc.behave(Behaviour.HANG);          // stops answering, keeps ACKing
 *     plc.restart();                       // drops every connection, listens again on the same port
 * }
 * }</pre>
 */
public final class DeviceSimulator implements AutoCloseable {

    private final SimFraming framing;
    private final EventLoopGroup group;
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong frames = new AtomicLong();
    private final String host;
    private volatile int port;
    private volatile Channel server;
    private volatile Behaviour behaviour = Behaviour.ECHO;
    private volatile long delayMs = 1000;
    private volatile UnaryOperator<byte[]> responder = UnaryOperator.identity();

    private DeviceSimulator(SimFraming framing, String host, int port, int threads) {
        this.framing = framing;
        this.host = host;
        this.port = port;
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("device-sim", true),
                NioIoHandler.newFactory());
    }

    /** Starts a device on 127.0.0.1 with an ephemeral port. */
    public static DeviceSimulator start(SimFraming framing) {
        return start(framing, "127.0.0.1", 0, 1);
    }

    /** Starts a device on the given loopback address and port (0: ephemeral) with {@code threads} event loops. */
    public static DeviceSimulator start(SimFraming framing, String host, int port, int threads) {
        DeviceSimulator sim = new DeviceSimulator(framing, host, port, threads);
        try {
            sim.listen();
        } catch (RuntimeException e) {
            sim.close();
            throw e;
        }
        return sim;
    }

    private void listen() {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        connections.add(ch);
                        ch.closeFuture().addListener(f -> connections.remove(ch));
                        var decoder = framing.newDecoder();
                        if (decoder != null) {
                            ch.pipeline().addLast(decoder);
                        }
                        ch.pipeline().addLast(new Responder());
                        if (behaviour == Behaviour.DROP_NEW) {
                            ch.eventLoop().execute(ch::close);
                        }
                    }
                });
        server = b.bind(host, port).syncUninterruptibly().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    public int port() {
        return port;
    }

    public String host() {
        return host;
    }

    /** Sets what the device does with the frames that arrive from now on. */
    public DeviceSimulator behave(Behaviour b) {
        this.behaviour = b;
        return this;
    }

    /** The answer delay for {@link Behaviour#DELAY}. */
    public DeviceSimulator delayMs(long ms) {
        this.delayMs = ms;
        return this;
    }

    /** Computes answers from requests (default: the request itself). */
    public DeviceSimulator respondWith(UnaryOperator<byte[]> responder) {
        this.responder = responder;
        return this;
    }

    /** Sends a frame nobody asked for on every open connection (e.g. a spontaneous reading). */
    public void pushToAll(byte[] frame) {
        for (Channel ch : connections) {
            ch.writeAndFlush(framed(frame));
        }
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    /** Whether the device accepts connections (not {@link #stop() stopped}). */
    public boolean isListening() {
        return server != null;
    }

    /** Connections accepted since start. */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /** Connections open right now. */
    public int openConnections() {
        return connections.size();
    }

    /** Frames received since start. */
    public long framesReceived() {
        return frames.get();
    }

    /** Closes every open connection with FIN; keeps listening. */
    public void closeAll() {
        connections.forEach(Channel::close);
    }

    /** Resets every open connection (RST); keeps listening. */
    public void resetAll() {
        connections.forEach(DeviceSimulator::reset);
    }

    /** Stops listening and closes every connection: the device is switched off (refuses connects). */
    public void stop() {
        Channel s = server;
        if (s != null) {
            s.close().syncUninterruptibly();
            server = null;
        }
        connections.forEach(ch -> ch.close().syncUninterruptibly());
    }

    /** Switches the device back on, on the same port. */
    public void startAgain() {
        if (server == null) {
            listen();
        }
    }

    /** A device reboot: every connection dropped, listening again on the same port. */
    public void restart() {
        stop();
        startAgain();
    }

    @Override
    public void close() {
        stop();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private ByteBuf framed(byte[] frame) {
        return Unpooled.wrappedBuffer(frame, framing.trailer());
    }

    private static void reset(Channel ch) {
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
        ch.close();
    }

    private final class Responder extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            byte[] request;
            try {
                ByteBuf buf = (ByteBuf) msg;
                request = new byte[buf.readableBytes()];
                buf.readBytes(request);
            } finally {
                ReferenceCountUtil.release(msg);
            }
            frames.incrementAndGet();
            switch (behaviour) {
                case ECHO -> ctx.writeAndFlush(framed(responder.apply(request)));
                case DELAY -> ctx.executor().schedule(() -> {
                    if (ctx.channel().isActive()) {
                        ctx.writeAndFlush(framed(responder.apply(request)));
                    }
                }, delayMs, TimeUnit.MILLISECONDS);
                case HANG -> { }
                case CLOSE, DROP_NEW -> ctx.close();
                case RESET -> reset(ctx.channel());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public String toString() {
        return "DeviceSimulator[" + framing + " on " + host + ":" + port + ", " + behaviour + "]";
    }

}
