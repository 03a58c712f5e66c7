package io.fieldlink.sample;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every error the resources do not answer themselves becomes the sample's JSON error body, never
 * the server's HTML error page (which shows exception classes, messages and the server's banner).
 * The details go to the server log.
 */
@Provider
public class UnexpectedErrors implements ExceptionMapper<Throwable> {

    private static final Logger log = Logger.getLogger(UnexpectedErrors.class.getName());

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof WebApplicationException w) {
            // keep the status and its headers (Allow on a 405, Retry-After, ...); only the body is ours
            Response.StatusType s = w.getResponse().getStatusInfo();
            String reason = s.getReasonPhrase() == null ? "HTTP " + s.getStatusCode()
                    : s.getReasonPhrase().toLowerCase(java.util.Locale.ROOT);
            return Response.fromResponse(w.getResponse())
                    .entity(DevicesResource.error(s.getStatusCode(), reason).getEntity())
                    .type(jakarta.ws.rs.core.MediaType.APPLICATION_JSON).build();
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof jakarta.json.JsonException) {
                // a body that is not the JSON asked for: the caller's mistake, not ours (and not worth a stack trace)
                return DevicesResource.error(400, "the body is not a JSON object with \"text\" or \"hex\"");
            }
        }
        log.log(Level.WARNING, "Unexpected error in the sample's REST API", e);
        return DevicesResource.error(500, "internal error (the server log has the details)");
    }
}
