package io.fieldlink.config;

/**
 * A configuration value is wrong. The message always names the property, the value given and what
 * would have been accepted, because the operator reading it has only the server log.
 */
public final class InvalidConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String property;

    public InvalidConfigException(String property, Object value, String accepted) {
        super(property + "=" + quote(value) + " is invalid; accepted: " + accepted);
        this.property = property;
    }

    private static String quote(Object value) {
        return value instanceof String ? "'" + value + "'" : String.valueOf(value);
    }

    /** The name of the offending config property. */
    public String property() {
        return property;
    }
}
