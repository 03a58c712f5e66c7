package io.fieldlink.sample;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The demo's switches for the simulated devices (drop, heal, hang, restart), forwarded to the
 * device simulator's control port. Off unless the system property
 * {@code fieldlink.demo.simulatorControl} names a loopback URL; ids and actions are checked
 * against fixed patterns, so a web request can reach nothing but that control port.
 *
 * <p>A switch can run {@code nft} as root, so besides {@link CrossSiteGuard} (the page's header,
 * no foreign Origin) the switches answer only requests addressed to a loopback name
 * ({@code 127.0.0.1}, {@code localhost}, {@code [::1]}): a page on a name that an attacker's DNS
 * points at 127.0.0.1 (DNS rebinding) is same-origin with itself, not with the demo.
 */
@Path("demo")
@Produces(MediaType.APPLICATION_JSON)
public class DemoResource {

    private static final Logger log = Logger.getLogger(DemoResource.class.getName());
    private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]");
    private static final Set<String> ACTIONS = Set.of("drop", "heal", "hang", "echo", "restart", "off", "on");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static URI control() {
        String url = System.getProperty("fieldlink.demo.simulatorControl", "");
        if (url.isBlank()) {
            return null;
        }
        URI uri = URI.create(url);
        return "127.0.0.1".equals(uri.getHost()) || "localhost".equals(uri.getHost()) ? uri : null;
    }

    @GET
    @Path("devices")
    public Response simulated(@Context HttpHeaders headers) {
        return forward("GET", "/devices", headers);
    }

    @POST
    @Path("devices/{id}/{action}")
    public Response act(@PathParam("id") String id, @PathParam("action") String action, @Context HttpHeaders headers) {
        if (!ID.matcher(id).matches() || !ACTIONS.contains(action)) {
            return DevicesResource.error(400, "unknown device or action");
        }
        return forward("POST", "/devices/" + id + "/" + action, headers);
    }

    /** Whether the request's Host names this machine's loopback (any port). */
    static boolean addressedToLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon > h.lastIndexOf(']')) {
            h = h.substring(0, colon);
        }
        return LOOPBACK_NAMES.contains(h);
    }

    private static Response forward(String method, String path, HttpHeaders headers) {
        URI base = control();
        if (base == null) {
            return DevicesResource.error(404, "demo controls are off (no loopback fieldlink.demo.simulatorControl)");
        }
        if (!addressedToLoopback(headers.getHeaderString(HttpHeaders.HOST))) {
            return DevicesResource.error(403, "the demo switches answer only on 127.0.0.1, localhost or [::1]");
        }
        try {
            HttpRequest req = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(15))
                    .header(CrossSiteGuard.HEADER, "1") // the simulator's control port guards its switches too
                    .method(method, HttpRequest.BodyPublishers.noBody()).build();
            HttpResponse<String> res = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
            return Response.status(res.statusCode()).entity(res.body()).type(MediaType.APPLICATION_JSON).build();
        } catch (IOException e) {
            log.info(() -> "device simulator at " + base + " unreachable: " + e);
            return DevicesResource.error(502, "device simulator unreachable");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DevicesResource.error(503, "interrupted");
        }
    }
}
