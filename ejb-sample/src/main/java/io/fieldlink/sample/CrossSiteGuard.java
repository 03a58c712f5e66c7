package io.fieldlink.sample;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses every state-changing request (anything but GET, HEAD, OPTIONS) that a page on another
 * site could have made the browser send: the demo switches (which run {@code nft} as root through
 * the simulator) and the raw request endpoint.
 *
 * <p>Two checks, both needed:
 * <ul>
 *   <li>the header {@value #HEADER}{@code : 1}. A page can send a form post, a text/plain body or
 *       a bodiless POST to any site without asking, but a custom header makes the browser ask
 *       first (a CORS preflight), and this server answers no preflight: the request is never
 *       sent. The sample's page sends the header with every POST.</li>
 *   <li>an {@code Origin}, when the browser sends one, that names this server: the host and port
 *       of the request's {@code Host} (a port left out is the one the Origin's scheme implies, so a
 *       TLS proxy in front is fine). Behind a proxy, the proxy must pass the browser's {@code Host}
 *       on.</li>
 * </ul>
 * A refusal is a 403 whose JSON says which check failed. Pre-matching, so it runs before JAX-RS
 * looks at the path, the method or the content type: a request from another site gets this 403
 * and never reaches a resource.
 */
@Provider
@PreMatching
public class CrossSiteGuard implements ContainerRequestFilter {

    /** The header the page sends with every state-changing request. */
    public static final String HEADER = "X-FieldLink-Request";

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    @Override
    public void filter(ContainerRequestContext request) {
        String misnamed = hostRefusal(request.getHeaderString("Host"), ServerNames.allowed());
        if (misnamed != null) {
            // every method, reads too: a rebound name makes the attacker's page same-origin, so
            // neither the header nor the Origin check can tell it from the sample's own page
            request.abortWith(DevicesResource.error(403, misnamed));
            return;
        }
        if (SAFE_METHODS.contains(request.getMethod())) {
            return;
        }
        String refusal = refusal(request.getHeaderString(HEADER), request.getHeaderString("Origin"),
                request.getHeaderString("Host"));
        if (refusal != null) {
            request.abortWith(DevicesResource.error(403, refusal));
        }
    }

    /**
     * Why a request for this {@code Host} is refused (DNS rebinding: a name of the attacker's that
     * resolves to this server), or null if the name is one of {@code allowed}.
     */
    static String hostRefusal(String host, java.util.Set<String> allowed) {
        String name = ServerNames.hostName(host);
        if (name == null || !allowed.contains(name)) {
            return "refused: Host " + (host == null ? "(none)" : host) + " is not a name of this server ("
                    + ServerNames.PROPERTY + ")";
        }
        return null;
    }

    /** Why a state-changing request with these headers is refused, or null if it is not. */
    static String refusal(String marker, String origin, String host) {
        if (!"1".equals(marker)) {
            return "refused: a state-changing request needs the header " + HEADER + ": 1 (the sample's page sends it;"
                    + " a page on another site cannot)";
        }
        if (origin != null && !sameOrigin(origin, host)) {
            return "refused: the request comes from another site (Origin " + origin + ", this server is "
                    + (host == null ? "unnamed" : host) + ")";
        }
        return null;
    }

    /** Whether an {@code Origin} header names the server the {@code Host} header names. */
    static boolean sameOrigin(String origin, String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        try {
            URI o = new URI(origin.trim());
            URI h = new URI("http://" + host.trim());
            String scheme = o.getScheme() == null ? "" : o.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || o.getHost() == null || h.getHost() == null
                    || o.getRawPath() != null && !o.getRawPath().isEmpty()) {
                return false; // "null" (sandboxed frames, file:), or not an origin at all
            }
            int defaultPort = scheme.equals("https") ? 443 : 80;
            int originPort = o.getPort() == -1 ? defaultPort : o.getPort();
            int hostPort = h.getPort() == -1 ? defaultPort : h.getPort();
            return o.getHost().equalsIgnoreCase(h.getHost()) && originPort == hostPort;
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
