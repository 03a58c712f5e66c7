package io.fieldlink.check;

import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceStatus;
import io.fieldlink.api.DeviceTimeoutException;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
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

/**
 * What an application on any server does with FieldLink, as REST calls a test can drive:
 * {@code GET /api/devices}, {@code POST /api/devices/{id}/request} (body: the text frame),
 * {@code GET /api/gateway/registers/{address}}, {@code GET /api/notices}, {@code GET /api/threads}.
 *
 * <p>A test probe, not a sample to copy: it has no cross-site guard and its error bodies carry the
 * adapter's messages (addresses included) for the test's diagnostics. Copy ejb-sample instead.
 *
 * <p>The factory is injected through a resource reference; each server maps {@code fieldlink/devices}
 * to its connection factory (WEB-INF/jboss-web.xml on WildFly, WEB-INF/ibm-web-bnd.xml on Open
 * Liberty), so the code names no server's JNDI layout.
 */
@Path("/")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class DevicesEndpoint {

    @Resource(name = "fieldlink/devices")
    DeviceConnectionFactory devices;

    /** A Modbus TCP gateway pool with correlation: requests of several callers share its one connection. */
    @Resource(name = "fieldlink/gateway")
    DeviceConnectionFactory gateway;

    @Inject
    ReceivedNotices notices;

    @GET
    @Path("devices")
    public String devices() {
        JsonArrayBuilder list = Json.createArrayBuilder();
        for (DeviceStatus s : devices.devices()) {
            list.add(Json.createObjectBuilder()
                    .add("deviceId", s.deviceId())
                    .add("state", s.state().name())
                    .add("openConnections", s.openConnections())
                    .add("connectionsInUse", s.connectionsInUse())
                    .add("drops", s.drops()));
        }
        return list.build().toString();
    }

    @POST
    @Path("devices/{id}/request")
    @Consumes(MediaType.TEXT_PLAIN)
    public Response request(@PathParam("id") String id, String text) {
        long start = System.nanoTime();
        try (DeviceConnection c = devices.getConnection(id)) {
            byte[] answer = c.request(text.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(2));
            return reply(200, Json.createObjectBuilder()
                    .add("text", new String(answer, StandardCharsets.UTF_8))
                    .add("micros", (System.nanoTime() - start) / 1_000).build());
        } catch (DeviceDownException e) {
            return error(503, e, start);
        } catch (DeviceBusyException e) {
            return error(429, e, start);
        } catch (DeviceTimeoutException e) {
            return error(504, e, start);
        } catch (DeviceException e) {
            return error(e.address() == null ? 404 : 502, e, start);
        }
    }

    /**
     * Reads holding register {@code address} (function 3, unit 1) through the gateway pool; the
     * request's transaction id is the address, so the answer shows which read it answers.
     */
    @GET
    @Path("gateway/registers/{address}")
    public Response register(@PathParam("address") int address) {
        long start = System.nanoTime();
        byte[] read = {(byte) (address >> 8), (byte) address, 0, 0, 0, 6, 1, 3,
            (byte) (address >> 8), (byte) address, 0, 1};
        try (DeviceConnection c = gateway.getConnection()) {
            byte[] a = c.request(read, Duration.ofSeconds(60));
            if (a.length < 11 || (a[7] & 0x80) != 0) {
                return reply(502, Json.createObjectBuilder().add("error", "not a read answer, "
                        + a.length + " bytes").build());
            }
            return reply(200, Json.createObjectBuilder()
                    .add("transactionId", ((a[0] & 0xFF) << 8) | (a[1] & 0xFF))
                    .add("value", ((a[9] & 0xFF) << 8) | (a[10] & 0xFF))
                    .add("micros", (System.nanoTime() - start) / 1_000).build());
        } catch (DeviceException e) {
            return error(502, e, start);
        }
    }

    @GET
    @Path("notices")
    public String notices() {
        JsonArrayBuilder list = Json.createArrayBuilder();
        notices.all().forEach(list::add);
        return list.build().toString();
    }

    /** Names of the live threads in this server that belong to FieldLink (the redeploy check). */
    @GET
    @Path("threads")
    public String threads() {
        JsonArrayBuilder list = Json.createArrayBuilder();
        Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("fieldlink")).sorted().forEach(list::add);
        return list.build().toString();
    }

    private static Response error(int status, DeviceException e, long start) {
        return reply(status, Json.createObjectBuilder()
                .add("error", e.getClass().getSimpleName() + ": " + e.getMessage())
                .add("micros", (System.nanoTime() - start) / 1_000).build());
    }

    private static Response reply(int status, JsonObject body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body.toString()).build();
    }
}
