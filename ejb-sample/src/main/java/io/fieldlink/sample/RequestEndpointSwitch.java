package io.fieldlink.sample;

import java.util.Locale;

/**
 * Whether the raw request endpoint ({@code POST /api/devices/{id}/request}) serves requests:
 * the system property {@value #PROPERTY}, else the environment variable {@value #ENV}, {@code on}
 * (the default, for the demo) or {@code off}. Any other value counts as off, so a typo never
 * opens it. Read on every request: a server's system properties are the source of truth.
 *
 * <p>The endpoint sends any frame to any configured device: in a real application, switch it off
 * or limit it to a role with a {@code security-constraint} in {@code web.xml} (docs/operations.md).
 */
final class RequestEndpointSwitch {

    static final String PROPERTY = "fieldlink.sample.requests";
    static final String ENV = "FIELDLINK_SAMPLE_REQUESTS";

    private RequestEndpointSwitch() {
    }

    /** Null while the endpoint is on; otherwise why it is off, for the 403. */
    static String offBecause() {
        return offBecause(System.getProperty(PROPERTY), System.getenv(ENV));
    }

    static String offBecause(String property, String environment) {
        String value = property != null ? property : environment;
        String setting = property != null ? PROPERTY : ENV;
        if (value == null || value.trim().equalsIgnoreCase("on")) {
            return null;
        }
        if (value.trim().toLowerCase(Locale.ROOT).equals("off")) {
            return "the request endpoint is switched off (" + setting + "=off)";
        }
        return "the request endpoint is off: " + setting + "='" + value + "' is neither on nor off";
    }
}
