package io.fieldlink.api;

import java.util.List;

/**
 * Hands out pooled, keepalive-watched TCP connections to the field devices of one pool.
 *
 * <p>A pool serves either one device ({@code host}/{@code port}) or a table of devices
 * ({@code devices=plc-1=10.0.0.7:502,meter-3=10.0.0.9:4001}). Only devices named in the pool's
 * configuration can be reached: nothing an application passes here can make the adapter open a
 * socket to another address.
 *
 * <pre>{@code
 * @Resource(lookup = "java:app/fieldlink/plcs")
 * DeviceConnectionFactory devices;
 *
 * byte[] readHoldingRegisters(byte[] mbapFrame) throws DeviceException {
 *     try (DeviceConnection c = devices.getConnection("plc-7")) {
 *         return c.request(mbapFrame, Duration.ofSeconds(2));
 *     }
 * }
 *
 * // health view, e.g. for a dashboard
 * for (DeviceStatus s : devices.devices()) {
 *     System.out.println(s.deviceId() + " " + s.state() + " since " + s.since());
 * }
 * }</pre>
 *
 * <p>While a device is {@link DeviceState#DOWN DOWN}, {@code getConnection} fails at once with a
 * {@link DeviceDownException} that says since when (unless the pool is configured to wait with
 * {@code waitWhileDownMs}); no application thread waits a connect timeout per call.
 */
public interface DeviceConnectionFactory {

    /**
     * A connection to the pool's default device: the only device of a single-device pool, or the
     * one named by {@code deviceId} (else the first of the table) in a table pool.
     */
    DeviceConnection getConnection() throws DeviceException;

    /**
     * A connection to the named device of this pool.
     *
     * @throws DeviceException      if the device is not one of this pool's, or no connection can be had
     * @throws DeviceDownException  if the device is down (the exception says since when)
     */
    DeviceConnection getConnection(String deviceId) throws DeviceException;

    /** A snapshot of the health of every device of this pool, in configuration order. */
    List<DeviceStatus> devices();
}
