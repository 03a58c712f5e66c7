package io.fieldlink.sample;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.api.DeviceTimeoutException;
import jakarta.ejb.EJB;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /api/devices}: the health of every device. {@code POST /api/devices/{id}/request}
 * with {@code {"text":"READ"}} or {@code {"hex":"0001..."}} (and optional {@code "timeoutMs"}):
 * the device's answer, or a clear error: 400 bad input, 403 endpoint switched off
 * ({@link RequestEndpointSwitch}) or no {@code X-FieldLink-Request} header ({@link CrossSiteGuard}),
 * 404 unknown device, 429 device busy, 503 device down, 504 no answer in time, 502 connection lost.
 *
 * <p>An error body names the device asked for and what happened, in the sample's own words: never
 * the adapter's message, which names addresses and, for an unknown id, every device of the pool.
 * That message goes to the server log.
 */
@Path("devices")
@Produces(MediaType.APPLICATION_JSON)
public class DevicesResource {

    private static final Logger log = Logger.getLogger(DevicesResource.class.getName());
    private static final int MAX_FRAME_BYTES = 4096;
    private static final long MAX_TIMEOUT_MS = 30_000;

    @EJB
    private DeviceService service;

    @GET
    public JsonArray devices() {
        JsonArrayBuilder list = Json.createArrayBuilder();
        for (DeviceStatus s : service.devices()) {
            JsonObjectBuilder o = Json.createObjectBuilder()
                    .add("deviceId", s.deviceId())
                    .add("address", s.address())
                    .add("state", s.state().name())
                    .add("since", s.since().toString())
                    .add("openConnections", s.openConnections())
                    .add("connectionsInUse", s.connectionsInUse())
                    .add("callersWaiting", s.callersWaiting())
                    .add("drops", s.drops())
                    .add("reconnectAttempts", s.reconnectAttempts())
                    .add("noticesDropped", s.noticesDropped());
            if (s.lastCause() == null) {
                o.addNull("lastCause");
            } else {
                o.add("lastCause", s.lastCause());
            }
            list.add(o);
        }
        return list.build();
    }

    @POST
    @Path("{id}/request")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response request(@PathParam("id") String id, JsonObject body) {
        String off = RequestEndpointSwitch.offBecause();
        if (off != null) {
            return error(403, off);
        }
        if (!DEVICE_ID.matcher(id).matches()) {
            // not a device id at all: answered before anything logs it (no forged log lines)
            return error(404, "no such device");
        }
        byte[] frame;
        long timeoutMs;
        try {
            frame = frame(body);
            timeoutMs = body.containsKey("timeoutMs") ? body.getJsonNumber("timeoutMs").longValueExact() : 2_000;
            if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
                return error(400, "timeoutMs must be 1.." + MAX_TIMEOUT_MS + ", was " + timeoutMs);
            }
        } catch (ClassCastException e) {
            return error(400, "\"text\" and \"hex\" are strings, \"timeoutMs\" a whole number");
        } catch (IllegalArgumentException | ArithmeticException e) {
            return error(400, e.getMessage());
        }
        try {
            DeviceService.Reply reply = service.request(id, frame, Duration.ofMillis(timeoutMs));
            return Response.ok(Json.createObjectBuilder()
                    .add("deviceId", reply.deviceId())
                    .add("hex", HexFormat.of().formatHex(reply.frame()))
                    .add("text", new String(reply.frame(), StandardCharsets.UTF_8))
                    .add("micros", reply.micros())
                    .build()).build();
        } catch (DeviceDownException e) {
            log.fine(e::getMessage); // the health view and the notices already say why
            return Response.status(503).entity(Json.createObjectBuilder()
                    .add("error", "device " + id + " down since " + e.downSince()
                            + "; the adapter is reconnecting in the background")
                    .add("downSince", e.downSince().toString()).build()).build();
        } catch (DeviceBusyException e) {
            log.fine(e::getMessage);
            // healthy but every connection stayed in use for maxWaitMs: try again, it is not an outage
            return Response.status(429).header("Retry-After", "1").entity(Json.createObjectBuilder()
                    .add("error", "device " + id + " busy: waited " + e.waitedMs() + " ms for one of its "
                            + e.connections() + " connection(s); try again")
                    .add("waitedMs", e.waitedMs()).build()).build();
        } catch (DeviceTimeoutException e) {
            log.fine(e::getMessage);
            return error(504, "device " + id + ": no answer within " + timeoutMs + " ms");
        } catch (ConnectionLostException e) {
            log.log(Level.INFO, "request to device " + id + " failed: " + e.getMessage(), e);
            return error(502, "device " + id + ": connection lost during the request; ask again");
        } catch (DeviceException e) {
            if (e.address() == null && id.equals(e.deviceId())) {
                log.info(e::getMessage); // names the pool's devices: for the operator, not the caller
                return error(404, "no device " + id + " in this pool");
            }
            log.log(Level.WARNING, "request to device " + id + " failed: " + e.getMessage(), e);
            return error(502, "device " + id + ": the request failed; the server log says why");
        }
    }

    private static byte[] frame(JsonObject body) {
        if (body == null) {
            throw new IllegalArgumentException("send a JSON object with \"text\" or \"hex\"");
        }
        byte[] frame;
        if (body.containsKey("hex")) {
            String hex = body.getString("hex").replaceAll("\\s", "");
            frame = HexFormat.of().parseHex(hex);
        } else if (body.containsKey("text")) {
            frame = body.getString("text").getBytes(StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException("send a JSON object with \"text\" or \"hex\"");
        }
        if (frame.length == 0 || frame.length > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("frame must have 1.." + MAX_FRAME_BYTES + " bytes, has " + frame.length);
        }
        return frame;
    }

    /** A JSON error body; typed here, as filters that abort a request have no {@code @Produces} to go by. */
    /** What a device id of the sample's pools looks like; anything else is refused unread. */
    private static final java.util.regex.Pattern DEVICE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

    static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Json.createObjectBuilder()
                .add("error", message == null ? "bad request" : message).build()).build();
    }
}
