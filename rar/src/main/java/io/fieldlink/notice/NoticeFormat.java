package io.fieldlink.notice;

import io.fieldlink.health.DeviceStateChange;
import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;

/**
 * Writes notices as JSON with JSON-P (never by string concatenation: causes carry quotes and
 * newlines). The schema is documented for subscribers in {@code docs/notices.md}:
 *
 * <pre>{@code
 * {"id":"scada-1/1795346514501/7","event":"DROPPED","deviceId":"plc-7","address":"10.0.0.7:502",
 *  "pool":"plcs","cause":"connection failed: connection timed out (...)","downSince":"2026-11-22T11:21:54.501Z",
 *  "downtimeMs":0,"reconnectAttempts":0,"connectionsAffected":2,"instance":"scada-1","sequence":7,
 *  "timestamp":"2026-11-22T11:21:54.501Z","initial":false}
 * }</pre>
 */
public final class NoticeFormat {

    private final String instance;
    private final long startMillis;

    /**
     * @param instance    the adapter instance's name (several servers: tell them apart)
     * @param startMillis when the adapter started; part of every id so ids never repeat across restarts
     */
    public NoticeFormat(String instance, long startMillis) {
        this.instance = instance;
        this.startMillis = startMillis;
    }

    public Notice toNotice(DeviceStateChange c) {
        String id = instance + "/" + startMillis + "/" + c.sequence();
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("id", id)
                .add("event", c.kind().name())
                .add("deviceId", c.deviceId())
                .add("address", c.address())
                .add("pool", c.pool());
        if (c.cause() != null) {
            b.add("cause", c.cause());
        } else {
            b.addNull("cause");
        }
        b.add("downSince", c.downSince().toString())
                .add("downtimeMs", c.downtimeMs())
                .add("reconnectAttempts", c.reconnectAttempts())
                .add("connectionsAffected", c.connectionsAffected())
                .add("instance", instance)
                .add("sequence", c.sequence())
                .add("timestamp", c.timestamp().toString())
                .add("initial", c.initial());
        return new Notice(id, c, b.build().toString());
    }
}
