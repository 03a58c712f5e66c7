package io.fieldlink.bench;

import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The device every variant talks to: an echo device on loopback with a 2-byte big-endian length
 * prefix (the shape of Modbus TCP and most binary protocols), and the framing code the hand-written
 * baselines use.
 */
final class EchoDevice {

    private EchoDevice() {
    }

    static DeviceSimulator start() {
        return DeviceSimulator.start(SimFraming.lengthField(0, 2, 0), "127.0.0.1", 0, 1);
    }

    /** A frame: 2-byte length, then {@code payload} bytes. */
    static byte[] frame(int payload) {
        byte[] f = new byte[2 + payload];
        f[0] = (byte) (payload >>> 8);
        f[1] = (byte) payload;
        for (int i = 2; i < f.length; i++) {
            f[i] = (byte) i;
        }
        return f;
    }

    /** One exchange over a blocking socket's streams, as a hand-written client does it. */
    static byte[] exchange(DataOutputStream out, DataInputStream in, byte[] frame) throws IOException {
        out.write(frame);
        out.flush();
        int len = in.readUnsignedShort();
        byte[] reply = new byte[2 + len];
        reply[0] = (byte) (len >>> 8);
        reply[1] = (byte) len;
        in.readFully(reply, 2, len);
        return reply;
    }
}
