package io.fieldlink.sample;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Headers on every response of the sample, the page and the API alike:
 * <ul>
 *   <li>{@code Content-Security-Policy}: only this server's own script and styles run (no inline
 *       script, no inline handler, nothing from another site), and no other site may frame the
 *       page ({@code frame-ancestors 'none'}): a framed page could trick a click on a demo switch;</li>
 *   <li>{@code X-Frame-Options: DENY}: the same for browsers without CSP level 2;</li>
 *   <li>{@code X-Content-Type-Options: nosniff}: JSON stays JSON, whatever a device id in an error
 *       body looks like;</li>
 *   <li>{@code Referrer-Policy: no-referrer}.</li>
 * </ul>
 */
@WebFilter("/*")
public class SecurityHeaders extends HttpFilter {

    private static final long serialVersionUID = 1L;

    static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
            + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        response.setHeader("Content-Security-Policy", POLICY);
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        chain.doFilter(request, response);
    }
}
