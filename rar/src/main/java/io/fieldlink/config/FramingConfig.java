package io.fieldlink.config;

import java.nio.ByteOrder;

/**
 * The framing of one pool, validated.
 *
 * @param framing           the framing kind
 * @param delimiter         added on send for LINE and DELIMITER, the frame end for DELIMITER
 * @param lengthFieldOffset LENGTH_FIELD: bytes before the length field
 * @param lengthFieldLength LENGTH_FIELD: size of the length field (1, 2, 3, 4 or 8)
 * @param lengthAdjustment  LENGTH_FIELD: added to the length field's value to get the bytes after the field
 * @param bigEndian         LENGTH_FIELD: the length field's byte order
 * @param fixedFrameLength  FIXED_LENGTH: the frame size
 * @param maxFrameLength    the largest frame accepted from a device; a bigger one costs the device its connection
 */
public record FramingConfig(Framing framing, byte[] delimiter, int lengthFieldOffset, int lengthFieldLength,
                            int lengthAdjustment, boolean bigEndian, int fixedFrameLength, int maxFrameLength) {

    public FramingConfig {
        delimiter = delimiter.clone();
    }

    @Override
    public byte[] delimiter() {
        return delimiter.clone();
    }

    public ByteOrder byteOrder() {
        return bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    /** Whether the adapter appends {@link #delimiter()} to every frame sent. */
    public boolean appendsDelimiter() {
        return framing == Framing.LINE || framing == Framing.DELIMITER;
    }
}
