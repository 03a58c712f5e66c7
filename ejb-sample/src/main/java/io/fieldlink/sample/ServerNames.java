package io.fieldlink.sample;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The host names this sample answers to: the system property {@value #PROPERTY}, else the
 * environment variable {@value #ENV}, a comma list; the default is the loopback names
 * ({@code 127.0.0.1, localhost, [::1]}). A request naming any other host is refused
 * ({@link CrossSiteGuard}): that is how a DNS-rebinding page (its own name, resolving to this
 * server) is told apart from the sample's page. Behind a proxy or on a real host name, list the
 * names users type.
 */
final class ServerNames {

    static final String PROPERTY = "fieldlink.sample.hosts";
    static final String ENV = "FIELDLINK_SAMPLE_HOSTS";
    static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]");

    private ServerNames() {
    }

    static Set<String> allowed() {
        return allowed(System.getProperty(PROPERTY, System.getenv(ENV)));
    }

    /** Entries as users write them ({@code host:8443}, {@code ::1}, {@code Name.}) count by their name. */
    static Set<String> allowed(String setting) {
        if (setting == null || setting.isBlank()) {
            return LOOPBACK;
        }
        Set<String> names = Arrays.stream(setting.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.contains(":") && !s.startsWith("[") && s.indexOf(':') != s.lastIndexOf(':') ? "[" + s + "]" : s)
                .map(ServerNames::hostName).filter(java.util.Objects::nonNull)
                .map(n -> n.endsWith(".") ? n.substring(0, n.length() - 1) : n)
                .collect(Collectors.toUnmodifiableSet());
        return names.isEmpty() ? LOOPBACK : names; // a setting of only commas must not lock everyone out
    }

    /** The name part of a Host header ({@code name[:port]}, {@code [v6][:port]}), lower case; null if unusable. */
    static String hostName(String host) {
        if (host == null || host.isBlank()) {
            return null;
        }
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? null : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && h.indexOf(':', colon + 1) >= 0) {
            return null; // an unbracketed IPv6 literal is not a valid Host
        }
        String name = colon < 0 ? h : h.substring(0, colon);
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name; // "localhost." is localhost
    }
}
