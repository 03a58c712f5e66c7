package io.fieldlink.sample;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.sample.RequestStats.Outcome;
import jakarta.annotation.Resource;
import jakarta.ejb.EJB;
import jakarta.ejb.Stateless;

import java.time.Duration;
import java.util.List;

/**
 * The sample's business bean: talks to devices through the FieldLink pool injected by JNDI name.
 * Nothing here deals with keepalive, reconnects or dead connections: the adapter does. Each request
 * is timed and counted in {@link RequestStats} (for the page's chart and {@code GET /api/stats}).
 */
@Stateless
public class DeviceService {

    /** The connector resource created by the deployment recipe (src/payara/). */
    @Resource(lookup = "fieldlink/devices")
    private DeviceConnectionFactory devices;

    public List<DeviceStatus> devices() {
        return devices.devices();
    }

    @EJB
    private RequestStats stats;

    /** Sends one frame to the device and returns its answer, timing the round trip (connection included). */
    public Reply request(String deviceId, byte[] frame, Duration timeout) throws DeviceException {
        long start = System.nanoTime();
        try (DeviceConnection c = devices.getConnection(deviceId)) {
            byte[] answer = c.request(frame, timeout);
            long micros = (System.nanoTime() - start) / 1_000;
            stats.record(deviceId, Outcome.OK, micros);
            return new Reply(deviceId, answer, micros);
        } catch (DeviceException e) {
            Outcome outcome = outcome(e);
            if (outcome != null) {
                stats.record(deviceId, outcome, (System.nanoTime() - start) / 1_000);
            }
            throw e;
        }
    }

    /** How a failed request counts; {@code null}: not at all (no device of the pool has this id). */
    static Outcome outcome(DeviceException e) {
        if (e instanceof DeviceDownException) {
            return Outcome.DOWN;
        }
        if (e instanceof DeviceBusyException) {
            return Outcome.BUSY;
        }
        if (e instanceof DeviceTimeoutException) {
            return Outcome.TIMEOUT;
        }
        if (e instanceof ConnectionLostException) {
            return Outcome.LOST;
        }
        // the adapter names no address only when the id is not one of the pool's (see DevicesResource)
        return e.address() == null ? null : Outcome.FAILED;
    }

    /** A device's answer. */
    public record Reply(String deviceId, byte[] frame, long micros) {
    }
}
