package io.fieldlink.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

/**
 * Runs the transport's stop path once, at start, on a throwaway event loop: a connection to a
 * loopback listener of our own, closed from outside its loop, then the loop shut down.
 *
 * <p>Why: Open Liberty deletes a resource adapter's extracted jars before it calls
 * {@code ResourceAdapter.stop()} (seen on 25.0.0.10 when the adapter is removed from server.xml).
 * A class first needed while stopping (Netty loads several lazily on the close path) then cannot
 * be loaded, the stop breaks off half-way and the event loop threads outlive the adapter. Loading
 * those classes at start keeps the stop path free of class loading.
 *
 * <pre>{@code
 * StopRehearsal.run(EpollSocketChannel.class, EpollIoHandler.newFactory(), "fieldlink");
 * }</pre>
 */
final class StopRehearsal {

    private static final Logger log = LoggerFactory.getLogger(StopRehearsal.class);

    private StopRehearsal() {
    }

    /** Best effort: a failure is logged and the adapter starts all the same. */
    static void run(Class<? extends Channel> channelType, IoHandlerFactory ioHandler, String threadPrefix) {
        MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(1,
                AdapterThreads.factory(threadPrefix + "-rehearsal"), ioHandler);
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Channel ch = new Bootstrap().group(loop).channel(channelType)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(listener.getLocalSocketAddress()).syncUninterruptibly().channel();
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS); // from outside the loop, as a stop does
        } catch (IOException | RuntimeException e) {
            log.debug("Stop rehearsal incomplete (the adapter works all the same): {}", e.toString());
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
