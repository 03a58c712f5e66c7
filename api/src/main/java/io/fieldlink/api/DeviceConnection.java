package io.fieldlink.api;

import java.time.Duration;

/**
 * One pooled connection to one device, framed as the pool is configured (delimiter, length field,
 * fixed length or raw). Not thread-safe: one application thread uses a handle at a time, then
 * closes it to return the connection to the pool.
 *
 * <pre>{@code
 * try (DeviceConnection c = devices.getConnection("meter-3")) {
 *     byte[] reply = c.request("READ V1".getBytes(US_ASCII), Duration.ofMillis(1500));
 *     c.send(ackFrame);                              // fire and forget
 *     byte[] unsolicited = c.receive(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>Frames are whole messages: with delimiter framing the delimiter is added on send and removed
 * on receive; with length-field, fixed-length and raw framing the bytes are passed as they are
 * (a Modbus TCP frame keeps its MBAP header both ways).
 *
 * <p>Errors say which device, which address and why. A request that times out or a connection
 * that is lost makes the underlying pooled connection unusable: the pool discards it and the next
 * {@code getConnection} gets a fresh one, so a late reply can never be taken for the next answer.
 *
 * <p>With correlation configured (frames carry a transaction id), {@code request} calls of
 * different handles share the device's connections, several in flight on one socket
 * ({@code maxInFlightPerConnection}), each answer matched to its request by id; a late reply is
 * dropped by its id, and a timeout costs the connection only if the connection is silent (nothing
 * answered on it for the pool's {@code requestTimeoutMs}). A handle that calls {@code send} or {@code receive} gets a connection of its own
 * until it is closed.
 */
public interface DeviceConnection extends AutoCloseable {

    /**
     * Sends one frame and waits for its answer: the next frame from the device, or with correlation
     * the frame carrying the id FieldLink stamped on this request (the caller gets its own id back).
     */
    byte[] request(byte[] frame, Duration timeout) throws DeviceException;

    /** Sends one frame without waiting for an answer. */
    void send(byte[] frame) throws DeviceException;

    /**
     * Waits for the next frame from the device. A timeout here throws {@link DeviceTimeoutException}
     * but keeps the connection: nothing arriving is not a broken exchange.
     */
    byte[] receive(Duration timeout) throws DeviceException;

    /** The id of the device this connection reaches. */
    String deviceId();

    /** Returns the connection to the pool. Closing twice is harmless. */
    @Override
    void close();
}
