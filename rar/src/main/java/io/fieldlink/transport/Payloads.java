package io.fieldlink.transport;

import java.util.HexFormat;

/** Log-safe previews of payloads: logs show at most a few bytes, never a whole frame. */
final class Payloads {

    private Payloads() {
    }

    static String preview(byte[] frame, int maxBytes) {
        if (maxBytes <= 0) {
            return frame.length + " bytes";
        }
        int n = Math.min(frame.length, maxBytes);
        return frame.length + " bytes " + HexFormat.of().formatHex(frame, 0, n) + (n < frame.length ? "..." : "");
    }
}
