package io.fieldlink.config;

/**
 * Where a frame carries its transaction id, for pools that match answers to requests by id (Modbus
 * TCP: the MBAP transaction id, offset 0, 2 bytes, big-endian). FieldLink stamps its own id on each
 * request and gives the caller back its own bytes in the answer; a frame whose id matches no open
 * request is never anyone's answer.
 *
 * <pre>{@code
 * Correlation mbap = new Correlation(0, 2);
 * long id = mbap.read(answer);            // 0 .. 65535
 * mbap.write(request, 4711);              // big-endian into bytes 0..1
 * }</pre>
 *
 * @param offset bytes before the id field; {@code -1} when the pool does not correlate
 * @param length size of the id field in bytes (1..8), big-endian
 */
public record Correlation(int offset, int length) {

    /** No id in the frames: the first frame after a request is its answer. */
    public static final Correlation NONE = new Correlation(-1, 0);

    public boolean enabled() {
        return offset >= 0 && length > 0;
    }

    /** Whether {@code frame} is long enough to carry the id. */
    public boolean fits(byte[] frame) {
        return frame.length >= offset + length;
    }

    /** The id in {@code frame} (big-endian, unsigned); the caller checked {@link #fits}. */
    public long read(byte[] frame) {
        long id = 0;
        for (int i = 0; i < length; i++) {
            id = (id << 8) | (frame[offset + i] & 0xFF);
        }
        return id;
    }

    /** Writes {@code id} into {@code frame}, big-endian; the caller checked {@link #fits}. */
    public void write(byte[] frame, long id) {
        for (int i = length - 1; i >= 0; i--) {
            frame[offset + i] = (byte) id;
            id >>>= 8;
        }
    }

    /** How many distinct ids the field holds (capped at 2^62 for 8-byte fields). */
    public long idSpace() {
        return length >= 8 ? 1L << 62 : 1L << (8 * length);
    }
}
