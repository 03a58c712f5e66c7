package io.fieldlink.sample;

import jakarta.ejb.EJB;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/notices}: the drop/restore notices the MDB received, newest first. */
@Path("notices")
@Produces(MediaType.APPLICATION_JSON)
public class NoticesResource {

    @EJB
    private RecentNotices recent;

    @GET
    public JsonArray notices() {
        JsonArrayBuilder list = Json.createArrayBuilder();
        recent.newestFirst().forEach(list::add);
        return list.build();
    }
}
