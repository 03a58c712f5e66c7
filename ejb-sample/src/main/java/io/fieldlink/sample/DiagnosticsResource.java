package io.fieldlink.sample;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/diagnostics}: the FieldLink threads alive in this server. An operator (and the
 * redeploy test) can see that the adapter uses a small fixed set of threads, whatever the number
 * of devices, and that a redeploy left no second set behind.
 */
@Path("diagnostics")
@Produces(MediaType.APPLICATION_JSON)
public class DiagnosticsResource {

    @GET
    public JsonObject diagnostics() {
        JsonArrayBuilder names = Json.createArrayBuilder();
        Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("fieldlink-")).sorted().forEach(names::add);
        return Json.createObjectBuilder().add("adapterThreads", names)
                .add("liveThreads", Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).count())
                .build();
    }
}
