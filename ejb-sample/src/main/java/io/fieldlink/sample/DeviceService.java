package io.fieldlink.sample;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceStatus;
import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;

import java.time.Duration;
import java.util.List;

/**
 * The sample's business bean: talks to devices through the FieldLink pool injected by JNDI name.
 * Nothing here deals with keepalive, reconnects or dead connections: the adapter does.
 */
@Stateless
public class DeviceService {

    /** The connector resource created by the deployment recipe (src/payara/). */
    @Resource(lookup = "fieldlink/devices")
    private DeviceConnectionFactory devices;

    public List<DeviceStatus> devices() {
        return devices.devices();
    }

    /** Sends one frame to the device and returns its answer, timing the round trip. */
    public Reply request(String deviceId, byte[] frame, Duration timeout) throws DeviceException {
        long start = System.nanoTime();
        try (DeviceConnection c = devices.getConnection(deviceId)) {
            byte[] answer = c.request(frame, timeout);
            return new Reply(deviceId, answer, (System.nanoTime() - start) / 1_000);
        }
    }

    /** A device's answer. */
    public record Reply(String deviceId, byte[] frame, long micros) {
    }
}
