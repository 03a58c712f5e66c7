package io.fieldlink.transport;

import io.fieldlink.config.LinkSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The last handler of a link's pipeline: hands decoded frames to the {@link DeviceLink}, turns
 * exceptions and channel closure into one {@link LinkFailure}, and runs the optional heartbeat.
 *
 * <p>Heartbeat: when the connection has been idle for {@code heartbeatIntervalMs} (an
 * {@code IdleStateHandler} upstream says so) and no application holds it, the handler sends
 * {@code heartbeatRequest} and takes the next frame as its answer (with correlation: the frame
 * carrying the heartbeat's reserved id). A new connection sends one at once, so its first answer
 * settles it. No answer within
 * {@code heartbeatTimeoutMs} means the device hangs although its kernel still ACKs: keepalive cannot
 * see that, so the link fails with {@link LinkFailure.Kind#HEARTBEAT_LOST}. Everything here runs on
 * the channel's event loop, so the heartbeat state needs no locking.
 */
final class LinkHandler extends ChannelInboundHandlerAdapter {

    private final DeviceLink link;
    private final LinkSettings settings;
    private ScheduledFuture<?> heartbeatDeadline;

    LinkHandler(DeviceLink link, LinkSettings settings) {
        this.link = link;
        this.settings = settings;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            ByteBuf buf = (ByteBuf) msg;
            int max = settings.framing().maxFrameLength();
            // Only raw framing can hand over more than maxFrameLength at once: cut it into frames.
            while (buf.isReadable()) {
                byte[] frame = new byte[Math.min(buf.readableBytes(), max)];
                buf.readBytes(frame);
                var correlation = settings.correlation();
                boolean heartbeatAnswer = heartbeatDeadline != null && (!correlation.enabled()
                        || correlation.fits(frame) && correlation.read(frame) == link.heartbeatId());
                if (heartbeatAnswer) {
                    heartbeatDeadline.cancel(false);
                    heartbeatDeadline = null;
                    link.heartbeatAnswered();
                } else {
                    link.frameReceived(frame);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // a new connection is proven by an answer, not by the TCP accept: ask at once, and a device
        // that closes idle connections sooner than heartbeatIntervalMs still gets its links settled
        if (settings.heartbeatEnabled()) {
            heartbeat(ctx);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            heartbeat(ctx);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void heartbeat(ChannelHandlerContext ctx) {
        if (heartbeatDeadline == null && !link.leased() && link.isUsable()) {
            byte[] request = settings.heartbeatRequest();
            var correlation = settings.correlation();
            if (correlation.enabled() && correlation.fits(request)) {
                correlation.write(request, link.heartbeatId()); // its answer is told apart by id
            }
            ByteBuf beat = ctx.alloc().buffer();
            beat.writeBytes(request);
            if (settings.framing().appendsDelimiter()) {
                beat.writeBytes(settings.framing().delimiter());
            }
            heartbeatDeadline = ctx.executor().schedule(() -> link.fail(new LinkFailure(
                    LinkFailure.Kind.HEARTBEAT_LOST, "no answer to the heartbeat within "
                    + settings.heartbeatTimeoutMs() + " ms", null)), settings.heartbeatTimeoutMs(), TimeUnit.MILLISECONDS);
            ctx.writeAndFlush(beat).addListener(w -> {
                if (!w.isSuccess()) {
                    link.fail(Failures.classify(w.cause(), "heartbeat write failed"));
                }
            });
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        link.writabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LinkFailure f = Failures.classify(cause, "connection failed");
        if (f.kind() == LinkFailure.Kind.PROTOCOL && link.failure() == null) {
            // counted before the link fails: a caller woken by the failure already sees the count
            if (f.cause() instanceof TooLongFrameException) {
                link.meter().oversizeFrame();
            } else {
                link.meter().malformedFrame();
            }
        }
        link.fail(f);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (heartbeatDeadline != null) {
            heartbeatDeadline.cancel(false);
        }
        link.fail(new LinkFailure(LinkFailure.Kind.PEER_CLOSED, "connection closed by the device", null));
        ctx.fireChannelInactive();
    }
}
