package io.fieldlink.simulator;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.DelimiterBasedFrameDecoder;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;

import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * How a simulated device cuts its input into frames and frames its answers. Deliberately separate
 * from the adapter's own framing code, so that tests check the adapter against an independent peer.
 */
public final class SimFraming {

    private final String name;
    private final Supplier<ChannelHandler> decoder;
    private final byte[] trailer;

    private SimFraming(String name, Supplier<ChannelHandler> decoder, byte[] trailer) {
        this.name = name;
        this.decoder = decoder;
        this.trailer = trailer;
    }

    /** Lines ended by \n or \r\n; answers end with \n. */
    public static SimFraming line() {
        return new SimFraming("line", () -> new LineBasedFrameDecoder(1 << 20), new byte[] {'\n'});
    }

    /** Frames ended by {@code delimiter}; answers end with it too. */
    public static SimFraming delimiter(byte[] delimiter) {
        byte[] d = delimiter.clone();
        return new SimFraming("delimiter", () -> new DelimiterBasedFrameDecoder(1 << 20, Unpooled.wrappedBuffer(d)), d);
    }

    /** Big-endian length field; frames keep their header; answers are sent as they are. */
    public static SimFraming lengthField(int offset, int length, int adjustment) {
        return new SimFraming("length-field", () -> new LengthFieldBasedFrameDecoder(ByteOrder.BIG_ENDIAN, 1 << 20,
                offset, length, adjustment, 0, true), new byte[0]);
    }

    /** Modbus TCP: MBAP header with its 2-byte length at offset 4. */
    public static SimFraming modbusTcp() {
        return lengthField(4, 2, 0);
    }

    public static SimFraming fixed(int frameLength) {
        return new SimFraming("fixed", () -> new FixedLengthFrameDecoder(frameLength), new byte[0]);
    }

    /** No framing: every chunk read is a frame. */
    public static SimFraming raw() {
        return new SimFraming("raw", () -> null, new byte[0]);
    }

    ChannelHandler newDecoder() {
        return decoder.get();
    }

    byte[] trailer() {
        return trailer;
    }

    @Override
    public String toString() {
        return name;
    }
}
