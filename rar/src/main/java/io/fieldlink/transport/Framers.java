package io.fieldlink.transport;

import io.fieldlink.config.FramingConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DelimiterBasedFrameDecoder;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;

/**
 * Netty's frame decoders, chosen per pool. Every one is bounded by {@code maxFrameLength} and fails
 * fast: a device announcing or streaming a bigger frame gets a {@code TooLongFrameException}, which
 * costs it this connection, before the bytes pile up in memory.
 *
 * <p>Each decoder also tells its link, after every read, whether it holds the first bytes of a frame
 * that has not ended yet: such a connection is never handed to another borrower, because those
 * bytes would be glued in front of the next borrower's answer.
 */
final class Framers {

    private Framers() {
    }

    /** A new decoder for one channel, or {@code null} for raw framing. Decoders hold state: never share one. */
    static ChannelHandler decoder(FramingConfig f, DeviceLink link) {
        return switch (f.framing()) {
            case LINE -> new LineBasedFrameDecoder(f.maxFrameLength(), true, true) {
                {
                    link.undecoded(this::actualReadableBytes);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                    super.channelRead(ctx, msg);
                    link.partialFrame(actualReadableBytes() > 0);
                }

            };
            case DELIMITER -> new DelimiterBasedFrameDecoder(f.maxFrameLength(), true, true,
                    Unpooled.wrappedBuffer(f.delimiter())) {
                {
                    link.undecoded(this::actualReadableBytes);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                    super.channelRead(ctx, msg);
                    link.partialFrame(actualReadableBytes() > 0);
                }

            };
            case LENGTH_FIELD -> new LengthFieldBasedFrameDecoder(f.byteOrder(), f.maxFrameLength(),
                    f.lengthFieldOffset(), f.lengthFieldLength(), f.lengthAdjustment(), 0, true) {
                {
                    link.undecoded(this::actualReadableBytes);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                    super.channelRead(ctx, msg);
                    link.partialFrame(actualReadableBytes() > 0);
                }

            };
            case FIXED_LENGTH -> new FixedLengthFrameDecoder(f.fixedFrameLength()) {
                {
                    link.undecoded(this::actualReadableBytes);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                    super.channelRead(ctx, msg);
                    link.partialFrame(actualReadableBytes() > 0);
                }

            };
            case RAW -> null;
        };
    }
}
