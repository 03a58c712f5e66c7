package io.fieldlink.config;

import java.util.HexFormat;
import java.util.Locale;

/** Validation of single config values; every failure names property, value and accepted range. */
final class Check {

    private Check() {
    }

    static int range(String property, Integer value, int min, int max) {
        if (value == null || value < min || value > max) {
            throw new InvalidConfigException(property, value, min + ".." + max);
        }
        return value;
    }

    static long range(String property, Long value, long min, long max) {
        if (value == null || value < min || value > max) {
            throw new InvalidConfigException(property, value, min + ".." + max);
        }
        return value;
    }

    static double range(String property, Double value, double min, double max) {
        if (value == null || value.isNaN() || value < min || value > max) {
            throw new InvalidConfigException(property, value, min + ".." + max);
        }
        return value;
    }

    static <E extends Enum<E>> E oneOf(String property, String value, Class<E> type) {
        String accepted = String.join("|", java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).toList());
        if (value == null || value.isBlank()) {
            throw new InvalidConfigException(property, value, accepted);
        }
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(property, value, accepted);
        }
    }

    static byte[] hex(String property, String value, int minBytes, int maxBytes) {
        String accepted = "hex digits for " + minBytes + ".." + maxBytes + " bytes, e.g. 0d0a";
        String digits = value == null ? "" : value.replaceAll("\\s", "");
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            digits = digits.substring(2);
        }
        try {
            byte[] bytes = HexFormat.of().parseHex(digits);
            if (bytes.length < minBytes || bytes.length > maxBytes) {
                throw new InvalidConfigException(property, value, accepted);
            }
            return bytes;
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(property, value, accepted);
        }
    }
}
