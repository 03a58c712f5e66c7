package io.fieldlink.sample;

import jakarta.ejb.EJB;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.Map;

/**
 * {@code GET /api/stats}: the sample's requests to each device over the last ten minutes
 * ({@link RequestStats}), for the page's chart:
 *
 * <pre>{@code
 * {"nowMs": 1764000000000, "bucketMs": 10000, "windowMs": 600000,
 *  "devices": [{"deviceId": "plc-1", "requests": 1234, "totals": {"OK": 1230, "TIMEOUT": 4},
 *               "lastMinute": {"startMs": ..., "lengthMs": 60000, "requests": 60, "perSecond": 1.0,
 *                              "failed": {}, "p50Micros": 410, "p99Micros": 2300, "maxMicros": 2480},
 *               "buckets": [ 60 of the same, lengthMs 10000, oldest first ]}]}
 * }</pre>
 *
 * Latencies in microseconds, {@code null} for a bucket without requests; {@code nowMs} is the
 * server's clock (the page measures "down for 12 s" against it, not against the browser's).
 * Only devices the sample sent a request to appear.
 */
@Path("stats")
@Produces(MediaType.APPLICATION_JSON)
public class StatsResource {

    @EJB
    private RequestStats stats;

    @GET
    public JsonObject stats() {
        RequestStats.Snapshot s = stats.snapshot();
        JsonArrayBuilder devices = Json.createArrayBuilder();
        for (RequestStats.DeviceWindow d : s.devices()) {
            JsonArrayBuilder buckets = Json.createArrayBuilder();
            d.buckets().forEach(b -> buckets.add(bucket(b)));
            devices.add(Json.createObjectBuilder()
                    .add("deviceId", d.deviceId())
                    .add("requests", d.requests())
                    .add("totals", counts(d.totals()))
                    .add("lastMinute", bucket(d.lastMinute()))
                    .add("buckets", buckets));
        }
        return Json.createObjectBuilder()
                .add("nowMs", s.nowMs())
                .add("bucketMs", s.bucketMs())
                .add("windowMs", RequestStats.WINDOW_MS)
                .add("devices", devices)
                .build();
    }

    private static JsonObjectBuilder bucket(RequestStats.Bucket b) {
        JsonObjectBuilder o = Json.createObjectBuilder()
                .add("startMs", b.startMs())
                .add("lengthMs", b.lengthMs())
                .add("requests", b.requests())
                .add("perSecond", Math.round(b.perSecond() * 100) / 100.0)
                .add("failed", counts(b.failed()));
        micros(o, "p50Micros", b.p50Micros());
        micros(o, "p99Micros", b.p99Micros());
        micros(o, "maxMicros", b.maxMicros());
        return o;
    }

    private static void micros(JsonObjectBuilder o, String name, long micros) {
        if (micros < 0) {
            o.addNull(name);
        } else {
            o.add(name, micros);
        }
    }

    private static JsonObjectBuilder counts(Map<RequestStats.Outcome, Long> counts) {
        JsonObjectBuilder o = Json.createObjectBuilder();
        counts.forEach((k, v) -> o.add(k.name(), v));
        return o;
    }
}
