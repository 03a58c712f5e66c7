package io.fieldlink.notice;

import io.fieldlink.health.DeviceStateChange;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class NoticeFormatTest {

    private static JsonObject parse(Notice n) {
        return Json.createReader(new StringReader(n.json())).readObject();
    }

    @Test
    void droppedNoticeCarriesTheWholeSchema() {
        Instant down = Instant.parse("2026-11-22T10:00:00Z");
        DeviceStateChange c = new DeviceStateChange(DeviceStateChange.Kind.DROPPED, "plcs", "plc-7", "10.0.0.7:502",
                "connection failed: \"timed out\"\nwith a newline", down, 0, 0, 2, 41, down, false);
        Notice n = new NoticeFormat("scada-1", 1_700_000_000_000L).toNotice(c);
        JsonObject j = parse(n);
        assertThat(n.id()).isEqualTo("scada-1/1700000000000/41");
        assertThat(j.getString("id")).isEqualTo(n.id());
        assertThat(j.getString("event")).isEqualTo("DROPPED");
        assertThat(j.getString("deviceId")).isEqualTo("plc-7");
        assertThat(j.getString("address")).isEqualTo("10.0.0.7:502");
        assertThat(j.getString("pool")).isEqualTo("plcs");
        assertThat(j.getString("cause")).isEqualTo("connection failed: \"timed out\"\nwith a newline");
        assertThat(j.getString("downSince")).isEqualTo("2026-11-22T10:00:00Z");
        assertThat(j.getJsonNumber("downtimeMs").longValue()).isZero();
        assertThat(j.getInt("reconnectAttempts")).isZero();
        assertThat(j.getInt("connectionsAffected")).isEqualTo(2);
        assertThat(j.getString("instance")).isEqualTo("scada-1");
        assertThat(j.getJsonNumber("sequence").longValue()).isEqualTo(41);
        assertThat(j.getString("timestamp")).isEqualTo("2026-11-22T10:00:00Z");
        assertThat(n.event()).isEqualTo("DROPPED");
        assertThat(n.deviceId()).isEqualTo("plc-7");
    }

    @Test
    void restoredNoticeCarriesDowntimeAndAttempts() {
        Instant down = Instant.parse("2026-11-22T10:00:00Z");
        DeviceStateChange c = new DeviceStateChange(DeviceStateChange.Kind.RESTORED, "plcs", "plc-7", "10.0.0.7:502",
                null, down, 93_500, 6, 0, 42, down.plusMillis(93_500), false);
        JsonObject j = parse(new NoticeFormat("scada-1", 1L).toNotice(c));
        assertThat(j.getString("event")).isEqualTo("RESTORED");
        assertThat(j.isNull("cause")).isTrue();
        assertThat(j.getJsonNumber("downtimeMs").longValue()).isEqualTo(93_500);
        assertThat(j.getInt("reconnectAttempts")).isEqualTo(6);
        assertThat(j.getString("timestamp")).isEqualTo("2026-11-22T10:01:33.500Z");
    }
}
