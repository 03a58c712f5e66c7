package io.fieldlink.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validated, immutable configuration of one pool (one managed connection factory). Made once,
 * when the pool first creates a connection or its factory; a wrong value fails right there with an
 * {@link InvalidConfigException} naming the property, the value and the accepted range.
 *
 * <p>The defaults below are the single source of truth: the managed connection factory starts
 * from them, {@code ra.xml} declares the same values, and a test keeps the two and
 * {@code docs/configuration.md} in step.
 */
public record PoolConfig(List<DeviceAddress> devices, DeviceAddress defaultDevice, int maxConnectionsPerDevice,
                         int minIdlePerDevice, int maxWaitMs, int waitWhileDownMs, int reconnectInitialDelayMs, int reconnectMaxDelayMs,
                         double reconnectMultiplier, LinkSettings link, int maxInFlightPerConnection,
                         Set<String> oneAtATimeDevices) {

    public static final int DEFAULT_MAX_CONNECTIONS_PER_DEVICE = 2;
    /** Every device is watched from the start: one open connection even if nobody uses it. */
    public static final int DEFAULT_MIN_IDLE_PER_DEVICE = 1;
    /** How long a caller waits in line for a connection when all of the device's are in use. */
    public static final int DEFAULT_MAX_WAIT_MS = 5_000;
    /** -1: frames carry no transaction id; the first frame after a request is its answer. */
    public static final int DEFAULT_CORRELATION_ID_OFFSET = -1;
    public static final int DEFAULT_CORRELATION_ID_LENGTH = 2;
    /**
     * With correlation, up to 16 requests share one connection. Transaction ids exist so that
     * several requests can be in flight; 16 keeps what queues behind a device that serves them one
     * by one short (16 x 30 ms, a slow plant round trip, is about 0.5 s, far inside the default
     * request timeout) while one connection carries 16 times what one-at-a-time does. Without
     * correlation a connection always carries one request at a time.
     */
    public static final int DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION = 16;
    public static final String DEFAULT_ONE_AT_A_TIME_DEVICES = "";
    public static final int DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
    public static final int DEFAULT_KEEP_ALIVE_IDLE_SECONDS = 10;
    public static final int DEFAULT_KEEP_ALIVE_INTERVAL_SECONDS = 5;
    public static final int DEFAULT_KEEP_ALIVE_COUNT = 3;
    /**
     * 0 = "auto": TCP_USER_TIMEOUT equals the keepalive bound. On Linux a set TCP_USER_TIMEOUT
     * replaces TCP_KEEPCNT (the kernel aborts when probes are out and nothing was ACKed for that
     * long), so a larger value would stretch idle detection and a smaller one would cut it short.
     */
    public static final int DEFAULT_USER_TIMEOUT_MS = 0;
    /** userTimeoutMs value that leaves TCP_USER_TIMEOUT unset. */
    public static final int USER_TIMEOUT_OFF = -1;
    public static final String DEFAULT_FRAMING = "LINE";
    public static final String DEFAULT_DELIMITER = "0a";
    public static final int DEFAULT_LENGTH_FIELD_OFFSET = 0;
    public static final int DEFAULT_LENGTH_FIELD_LENGTH = 2;
    public static final int DEFAULT_LENGTH_ADJUSTMENT = 0;
    public static final String DEFAULT_LENGTH_FIELD_BYTE_ORDER = "BIG_ENDIAN";
    public static final int DEFAULT_FIXED_FRAME_LENGTH = 0;
    public static final int DEFAULT_MAX_FRAME_LENGTH = 65_536;
    public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 0;
    public static final String DEFAULT_HEARTBEAT_REQUEST = "";
    public static final int DEFAULT_HEARTBEAT_TIMEOUT_MS = 2_000;
    public static final int DEFAULT_RECONNECT_INITIAL_DELAY_MS = 500;
    public static final int DEFAULT_RECONNECT_MAX_DELAY_MS = 30_000;
    public static final double DEFAULT_RECONNECT_MULTIPLIER = 2.0;
    public static final int DEFAULT_WAIT_WHILE_DOWN_MS = 0;
    public static final int DEFAULT_PAYLOAD_PREVIEW_BYTES = 16;

    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");
    private static final int ONE_HOUR_MS = 3_600_000;

    public PoolConfig {
        devices = List.copyOf(devices);
        oneAtATimeDevices = Set.copyOf(oneAtATimeDevices);
    }

    /**
     * How many requests may be in flight at once on one connection to {@code device}: 1 without
     * correlation (only the order of frames says whose answer is which) and for the devices listed
     * in {@code oneAtATimeDevices}; else {@code maxInFlightPerConnection}.
     */
    public int maxInFlight(DeviceAddress device) {
        return !link.correlation().enabled() || oneAtATimeDevices.contains(device.id()) ? 1 : maxInFlightPerConnection;
    }

    /** Validates raw properties; throws {@link InvalidConfigException} on the first bad value. */
    public static PoolConfig from(PoolProperties p) {
        List<DeviceAddress> devices = devices(p);
        DeviceAddress defaultDevice = devices.get(0);
        if (p.getDevices() != null && !p.getDevices().isBlank() && p.getDeviceId() != null && !p.getDeviceId().isBlank()) {
            defaultDevice = devices.stream().filter(d -> d.id().equals(p.getDeviceId().trim())).findFirst()
                    .orElseThrow(() -> new InvalidConfigException("deviceId", p.getDeviceId(),
                            "one of the ids in devices: " + devices.stream().map(DeviceAddress::id).toList()));
        }
        int maxPerDevice = Check.range("maxConnectionsPerDevice", p.getMaxConnectionsPerDevice(), 1, 1024);
        int minIdle = Check.range("minIdlePerDevice", p.getMinIdlePerDevice(), 0, maxPerDevice);
        int maxWait = Check.range("maxWaitMs", p.getMaxWaitMs(), 1, ONE_HOUR_MS);
        int waitWhileDown = Check.range("waitWhileDownMs", p.getWaitWhileDownMs(), 0, ONE_HOUR_MS);
        int initialDelay = Check.range("reconnectInitialDelayMs", p.getReconnectInitialDelayMs(), 1, ONE_HOUR_MS);
        int maxDelay = Check.range("reconnectMaxDelayMs", p.getReconnectMaxDelayMs(), initialDelay, ONE_HOUR_MS);
        double multiplier = Check.range("reconnectMultiplier", p.getReconnectMultiplier(), 1.0, 10.0);
        int maxInFlight = Check.range("maxInFlightPerConnection", p.getMaxInFlightPerConnection(), 1, 1024);
        LinkSettings link = link(p);
        if (link.correlation().enabled()) {
            // half the ids at most: the other half is room for ids of given-up requests whose answers may still come
            long usable = (link.correlation().idSpace() - 2) / 2;
            if (maxInFlight > usable) {
                throw new InvalidConfigException("maxInFlightPerConnection", maxInFlight, "1.." + usable
                        + " with a " + link.correlation().length() + "-byte correlation id");
            }
        }
        return new PoolConfig(devices, defaultDevice, maxPerDevice, minIdle, maxWait, waitWhileDown, initialDelay, maxDelay,
                multiplier, link, maxInFlight, oneAtATime(p.getOneAtATimeDevices(), devices));
    }

    private static LinkSettings link(PoolProperties p) {
        int connectTimeout = Check.range("connectTimeoutMs", p.getConnectTimeoutMs(), 1, 600_000);
        int requestTimeout = Check.range("requestTimeoutMs", p.getRequestTimeoutMs(), 1, ONE_HOUR_MS);
        // Linux and the JDK accept 1..32767 s and 1..127 probes; 0 is rejected by the kernel.
        int idle = Check.range("keepAliveIdleSeconds", p.getKeepAliveIdleSeconds(), 1, 32_767);
        int interval = Check.range("keepAliveIntervalSeconds", p.getKeepAliveIntervalSeconds(), 1, 32_767);
        int count = Check.range("keepAliveCount", p.getKeepAliveCount(), 1, 127);
        int rawUserTimeout = Check.range("userTimeoutMs", p.getUserTimeoutMs(), USER_TIMEOUT_OFF, Integer.MAX_VALUE);
        long keepAliveBoundMs = 1000L * (idle + (long) interval * count);
        int userTimeout = rawUserTimeout == USER_TIMEOUT_OFF ? 0
                : rawUserTimeout == 0 ? (int) Math.min(Integer.MAX_VALUE, keepAliveBoundMs) : rawUserTimeout;
        int heartbeatInterval = Check.range("heartbeatIntervalMs", p.getHeartbeatIntervalMs(), 0, ONE_HOUR_MS);
        byte[] heartbeat = new byte[0];
        int heartbeatTimeout = Check.range("heartbeatTimeoutMs", p.getHeartbeatTimeoutMs(), 1, ONE_HOUR_MS);
        FramingConfig framing = framing(p);
        if (heartbeatInterval > 0) {
            heartbeat = Check.hex("heartbeatRequest", p.getHeartbeatRequest(), 1, framing.maxFrameLength());
        }
        int preview = Check.range("payloadPreviewBytes", p.getPayloadPreviewBytes(), 0, 256);
        return new LinkSettings(connectTimeout, requestTimeout, idle, interval, count, userTimeout,
                heartbeatInterval, heartbeat, heartbeatTimeout, preview, framing, correlation(p, framing));
    }

    private static Correlation correlation(PoolProperties p, FramingConfig framing) {
        int offset = Check.range("correlationIdOffset", p.getCorrelationIdOffset(), -1, 65_535);
        if (offset < 0) {
            return Correlation.NONE;
        }
        int length = Check.range("correlationIdLength", p.getCorrelationIdLength(), 1, 8);
        if (offset + length > framing.maxFrameLength()) {
            throw new InvalidConfigException("correlationIdOffset", offset,
                    "correlationIdOffset + correlationIdLength <= maxFrameLength (" + framing.maxFrameLength() + ")");
        }
        if (framing.framing() == Framing.LENGTH_FIELD && offset < framing.lengthFieldOffset() + framing.lengthFieldLength()
                && framing.lengthFieldOffset() < offset + length) {
            // FieldLink rewrites the id on every request: it must not touch the length field
            throw new InvalidConfigException("correlationIdOffset", offset, "an id field that does not overlap the "
                    + "length field (bytes " + framing.lengthFieldOffset() + ".." + (framing.lengthFieldOffset()
                    + framing.lengthFieldLength() - 1) + ")");
        }
        return new Correlation(offset, length);
    }

    private static FramingConfig framing(PoolProperties p) {
        Framing framing = Check.oneOf("framing", p.getFraming(), Framing.class);
        int maxFrame = Check.range("maxFrameLength", p.getMaxFrameLength(), 1, 16 * 1024 * 1024);
        byte[] delimiter = Check.hex("delimiter", p.getDelimiter(), 1, 16);
        int offset = Check.range("lengthFieldOffset", p.getLengthFieldOffset(), 0, 65_535);
        Integer length = p.getLengthFieldLength();
        if (length == null || !(length == 1 || length == 2 || length == 3 || length == 4 || length == 8)) {
            throw new InvalidConfigException("lengthFieldLength", length, "1, 2, 3, 4 or 8");
        }
        int adjustment = Check.range("lengthAdjustment", p.getLengthAdjustment(), -65_535, 65_535);
        boolean bigEndian = Check.oneOf("lengthFieldByteOrder", p.getLengthFieldByteOrder(), ByteOrderName.class)
                == ByteOrderName.BIG_ENDIAN;
        int fixed = p.getFixedFrameLength() == null ? 0 : p.getFixedFrameLength();
        if (framing == Framing.FIXED_LENGTH) {
            fixed = Check.range("fixedFrameLength", p.getFixedFrameLength(), 1, maxFrame);
        }
        if (framing == Framing.LENGTH_FIELD && offset + length > maxFrame) {
            throw new InvalidConfigException("lengthFieldOffset", offset,
                    "lengthFieldOffset + lengthFieldLength <= maxFrameLength (" + maxFrame + ")");
        }
        return new FramingConfig(framing, delimiter, offset, length, adjustment, bigEndian, fixed, maxFrame);
    }

    private enum ByteOrderName { BIG_ENDIAN, LITTLE_ENDIAN }

    private static List<DeviceAddress> devices(PoolProperties p) {
        String table = p.getDevices();
        boolean hasTable = table != null && !table.isBlank();
        boolean hasHost = p.getHost() != null && !p.getHost().isBlank();
        if (hasTable && hasHost) {
            throw new InvalidConfigException("devices", table, "either devices or host/port, not both (host is '"
                    + p.getHost() + "')");
        }
        if (!hasTable) {
            if (!hasHost) {
                throw new InvalidConfigException("host", p.getHost(),
                        "a host name or IP address (or set devices=id=host:port,...)");
            }
            String host = p.getHost().trim();
            int port = Check.range("port", p.getPort(), 1, 65_535);
            String id = p.getDeviceId() == null || p.getDeviceId().isBlank()
                    ? new DeviceAddress("", host, port).address() : p.getDeviceId().trim();
            checkId("deviceId", id);
            return List.of(new DeviceAddress(id, host, port));
        }
        List<DeviceAddress> result = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        String accepted = "id=host:port[,id=host:port...] (IPv6 as id=[addr]:port), ids of letters, digits . _ - :, ports 1..65535";
        for (String entry : table.split(",")) {
            String e = entry.trim();
            int eq = e.indexOf('=');
            int colon = e.lastIndexOf(':');
            if (e.isEmpty() || eq <= 0 || colon <= eq + 1 || colon == e.length() - 1) {
                throw new InvalidConfigException("devices", table, accepted + " (bad entry '" + e + "')");
            }
            String id = e.substring(0, eq).trim();
            String host = e.substring(eq + 1, colon).trim();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
                if (host.indexOf(':') < 0) {
                    throw new InvalidConfigException("devices", table, accepted + " (brackets are for IPv6 literals: '"
                            + e + "')");
                }
            } else if (host.indexOf(':') >= 0) {
                throw new InvalidConfigException("devices", table, accepted + "; an IPv6 address needs brackets, as in "
                        + id + "=[" + e.substring(eq + 1).trim() + "]:502 (bad entry '" + e + "')");
            }
            int port;
            try {
                port = Integer.parseInt(e.substring(colon + 1).trim());
            } catch (NumberFormatException ex) {
                throw new InvalidConfigException("devices", table, accepted + " (bad port in '" + e + "')");
            }
            if (port < 1 || port > 65_535 || host.isEmpty() || !DEVICE_ID.matcher(id).matches()) {
                throw new InvalidConfigException("devices", table, accepted + " (bad entry '" + e + "')");
            }
            if (!ids.add(id)) {
                throw new InvalidConfigException("devices", table, "unique device ids ('" + id + "' twice)");
            }
            result.add(new DeviceAddress(id, host, port));
        }
        return result;
    }

    private static Set<String> oneAtATime(String list, List<DeviceAddress> devices) {
        Set<String> ids = new HashSet<>();
        if (list == null || list.isBlank()) {
            return ids;
        }
        List<String> known = devices.stream().map(DeviceAddress::id).toList();
        for (String entry : list.split(",")) {
            String id = entry.trim();
            if (!known.contains(id)) {
                throw new InvalidConfigException("oneAtATimeDevices", list, "a comma-separated list of the pool's "
                        + "device ids " + known + " ('" + id + "' is not one)");
            }
            ids.add(id);
        }
        return ids;
    }

    private static void checkId(String property, String id) {
        if (!DEVICE_ID.matcher(id).matches()) {
            throw new InvalidConfigException(property, id, "1..128 letters, digits, '.', '_', '-' or ':'");
        }
    }

    /** The device with this id, or {@code null} if the pool has none. */
    public DeviceAddress device(String id) {
        for (DeviceAddress d : devices) {
            if (d.id().equals(id)) {
                return d;
            }
        }
        return null;
    }
}
