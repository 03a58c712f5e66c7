package io.fieldlink.transport;

import io.fieldlink.config.FramingConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.DelimiterBasedFrameDecoder;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;

/**
 * Netty's frame decoders, chosen per pool. Every one is bounded by {@code maxFrameLength} and fails
 * fast: a device announcing or streaming a bigger frame gets a {@code TooLongFrameException}, which
 * costs it this connection, before the bytes pile up in memory.
 */
final class Framers {

    private Framers() {
    }

    /** A new decoder for one channel, or {@code null} for raw framing. Decoders hold state: never share one. */
    static ChannelHandler decoder(FramingConfig f) {
        return switch (f.framing()) {
            case LINE -> new LineBasedFrameDecoder(f.maxFrameLength(), true, true);
            case DELIMITER -> new DelimiterBasedFrameDecoder(f.maxFrameLength(), true, true,
                    Unpooled.wrappedBuffer(f.delimiter()));
            case LENGTH_FIELD -> new LengthFieldBasedFrameDecoder(f.byteOrder(), f.maxFrameLength(),
                    f.lengthFieldOffset(), f.lengthFieldLength(), f.lengthAdjustment(), 0, true);
            case FIXED_LENGTH -> new FixedLengthFrameDecoder(f.fixedFrameLength());
            case RAW -> null;
        };
    }
}
