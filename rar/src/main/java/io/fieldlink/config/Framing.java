package io.fieldlink.config;

/** How a pool cuts the device's byte stream into frames. */
public enum Framing {
    /** Text lines ended by {@code \n} or {@code \r\n}; the line end is removed on receive, {@code delimiter} added on send. */
    LINE,
    /** Frames ended by {@code delimiter}; removed on receive, added on send. */
    DELIMITER,
    /** A length field in a header (Modbus TCP's MBAP and most binary protocols); frames pass with their header. */
    LENGTH_FIELD,
    /** Every frame is exactly {@code fixedFrameLength} bytes. */
    FIXED_LENGTH,
    /** No framing: whatever bytes arrive together form a frame (at most {@code maxFrameLength}). */
    RAW
}
