package io.fieldlink.spi;

import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceException;
import io.fieldlink.config.InvalidConfigException;
import io.fieldlink.config.PoolConfig;
import io.fieldlink.config.PoolProperties;
import io.fieldlink.health.DeviceHealth;
import io.fieldlink.transport.TransportKind;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.InvalidPropertyException;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterAssociation;
import jakarta.resource.spi.ResourceAllocationException;
import jakarta.resource.spi.ValidatingManagedConnectionFactory;

import javax.security.auth.Subject;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One FieldLink pool: the devices it serves, their framing, keepalive, timeouts and reconnect
 * policy. The container creates it from a connection pool's properties; outside a container it can
 * be used directly:
 *
 * <pre>{@code
 * DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
 * mcf.setDevices("plc-1=127.0.0.1:5020,plc-2=127.0.0.1:5021");
 * mcf.setFraming("LENGTH_FIELD");                // Modbus TCP: MBAP length at offset 4, 2 bytes
 * mcf.setLengthFieldOffset(4);
 * mcf.setKeepAliveIdleSeconds(5);
 * try (DeviceConnectionFactoryImpl devices = (DeviceConnectionFactoryImpl) mcf.createConnectionFactory()) {
 *     try (DeviceConnection c = devices.getConnection("plc-2")) {
 *         byte[] reply = c.request(frame, Duration.ofSeconds(2));
 *     }
 * }   // closing a standalone factory closes its sockets and stops its threads
 * }</pre>
 *
 * <p>Every property is validated once, when the first connection factory or connection is made; a
 * bad one fails with an {@link InvalidPropertyException} naming the property, the value and the
 * accepted range. Defaults live in {@link PoolConfig} and are mirrored in {@code ra.xml}.
 */
public class DeviceManagedConnectionFactory implements ManagedConnectionFactory, ValidatingManagedConnectionFactory,
        ResourceAdapterAssociation, PoolProperties {

    private static final long serialVersionUID = 1L;

    private String poolName = "";
    private String deviceId = "";
    private String host = "";
    private Integer port = 0;
    private String devices = "";
    private Integer maxConnectionsPerDevice = PoolConfig.DEFAULT_MAX_CONNECTIONS_PER_DEVICE;
    private Integer minIdlePerDevice = PoolConfig.DEFAULT_MIN_IDLE_PER_DEVICE;
    private Integer maxWaitMs = PoolConfig.DEFAULT_MAX_WAIT_MS;
    private Integer correlationIdOffset = PoolConfig.DEFAULT_CORRELATION_ID_OFFSET;
    private Integer correlationIdLength = PoolConfig.DEFAULT_CORRELATION_ID_LENGTH;
    private Integer maxInFlightPerConnection = PoolConfig.DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION;
    private String oneAtATimeDevices = PoolConfig.DEFAULT_ONE_AT_A_TIME_DEVICES;
    private Integer connectTimeoutMs = PoolConfig.DEFAULT_CONNECT_TIMEOUT_MS;
    private Integer requestTimeoutMs = PoolConfig.DEFAULT_REQUEST_TIMEOUT_MS;
    private Integer keepAliveIdleSeconds = PoolConfig.DEFAULT_KEEP_ALIVE_IDLE_SECONDS;
    private Integer keepAliveIntervalSeconds = PoolConfig.DEFAULT_KEEP_ALIVE_INTERVAL_SECONDS;
    private Integer keepAliveCount = PoolConfig.DEFAULT_KEEP_ALIVE_COUNT;
    private Integer userTimeoutMs = PoolConfig.DEFAULT_USER_TIMEOUT_MS;
    private String framing = PoolConfig.DEFAULT_FRAMING;
    private String delimiter = PoolConfig.DEFAULT_DELIMITER;
    private Integer lengthFieldOffset = PoolConfig.DEFAULT_LENGTH_FIELD_OFFSET;
    private Integer lengthFieldLength = PoolConfig.DEFAULT_LENGTH_FIELD_LENGTH;
    private Integer lengthAdjustment = PoolConfig.DEFAULT_LENGTH_ADJUSTMENT;
    private String lengthFieldByteOrder = PoolConfig.DEFAULT_LENGTH_FIELD_BYTE_ORDER;
    private Integer fixedFrameLength = PoolConfig.DEFAULT_FIXED_FRAME_LENGTH;
    private Integer maxFrameLength = PoolConfig.DEFAULT_MAX_FRAME_LENGTH;
    private Integer heartbeatIntervalMs = PoolConfig.DEFAULT_HEARTBEAT_INTERVAL_MS;
    private String heartbeatRequest = PoolConfig.DEFAULT_HEARTBEAT_REQUEST;
    private Integer heartbeatTimeoutMs = PoolConfig.DEFAULT_HEARTBEAT_TIMEOUT_MS;
    private Integer reconnectInitialDelayMs = PoolConfig.DEFAULT_RECONNECT_INITIAL_DELAY_MS;
    private Integer reconnectMaxDelayMs = PoolConfig.DEFAULT_RECONNECT_MAX_DELAY_MS;
    private Double reconnectMultiplier = PoolConfig.DEFAULT_RECONNECT_MULTIPLIER;
    private Integer waitWhileDownMs = PoolConfig.DEFAULT_WAIT_WHILE_DOWN_MS;
    private Integer payloadPreviewBytes = PoolConfig.DEFAULT_PAYLOAD_PREVIEW_BYTES;

    private transient FieldLinkResourceAdapter resourceAdapter;
    private transient PoolRuntime pool;
    private transient AdapterRuntime ownRuntime;
    private transient PrintWriter logWriter;

    // ---- the connection factory, managed and standalone

    @Override
    public Object createConnectionFactory(ConnectionManager cm) throws ResourceException {
        config();
        // the pool opens now, so every device is watched from the moment the server makes the
        // factory; IronJacamar makes factories before it starts the adapter: then at its start
        if (resourceAdapter == null) {
            pool();
        } else {
            resourceAdapter.openWhenStarted(this);
        }
        return new DeviceConnectionFactoryImpl(this, cm, null);
    }

    /**
     * Standalone use, with no application server: a factory backed by the adapter's own small pool
     * and its own event loops. Close it (it is {@link AutoCloseable}) to close its sockets and threads.
     */
    @Override
    public Object createConnectionFactory() throws ResourceException {
        StandaloneConnectionManager cm = new StandaloneConnectionManager(this);
        pool();
        return new DeviceConnectionFactoryImpl(this, cm, cm);
    }

    // ---- managed connections

    /**
     * A logical connection to one device: it holds no socket. The device's sockets belong to the
     * pool's {@link DeviceHealth}; a handle borrows one for as long as the application uses it, so
     * the container may keep as many idle managed connections as it likes.
     */
    @Override
    public ManagedConnection createManagedConnection(Subject subject, ConnectionRequestInfo cri) throws ResourceException {
        PoolRuntime p = pool();
        try {
            DeviceHealth device = p.device(deviceOf(cri));
            return new DeviceManagedConnection(this, device, p.config().maxWaitMs(), runtime().monitor());
        } catch (DeviceException e) {
            ResourceAllocationException re = new ResourceAllocationException(e.getMessage());
            re.initCause(e);
            throw re;
        }
    }

    @Override
    public ManagedConnection matchManagedConnections(@SuppressWarnings("rawtypes") Set candidates, Subject subject,
                                                     ConnectionRequestInfo cri) throws ResourceException {
        String wanted = deviceOf(cri);
        DeviceManagedConnection idle = null;
        for (Object o : candidates) {
            // Unusable ones are skipped, never reported from here: the error event comes from the
            // health thread, and firing it inside matching leaks connections in some containers.
            if (o instanceof DeviceManagedConnection mc && mc.factory() == this && mc.isUsable()) {
                if (mc.deviceId().equals(wanted)) {
                    return mc;
                }
                if (idle == null && mc.canServe(wanted)) {
                    idle = mc; // holds no socket: it can serve the wanted device as well
                }
            }
        }
        return idle;
    }

    @Override
    public Set<ManagedConnection> getInvalidConnections(@SuppressWarnings("rawtypes") Set connections) {
        Set<ManagedConnection> invalid = new HashSet<>();
        for (Object o : connections) {
            if (o instanceof DeviceManagedConnection mc && !mc.isUsable()) {
                invalid.add(mc);
            }
        }
        return invalid;
    }

    /** The device a request without a device id goes to (a single-device pool's only device). */
    String defaultDeviceId() throws ResourceException {
        return pool().defaultDevice().id();
    }

    private String deviceOf(ConnectionRequestInfo cri) throws ResourceException {
        if (cri instanceof DeviceRequestInfo dri) {
            return dri.deviceId();
        }
        return pool().defaultDevice().id();
    }

    /** The validated configuration; a bad property fails here, naming the property, the value and the range. */
    PoolConfig config() throws InvalidPropertyException {
        try {
            return PoolConfig.from(this);
        } catch (InvalidConfigException e) {
            InvalidPropertyException ipe = new InvalidPropertyException("FieldLink pool " + describePool() + ": "
                    + e.getMessage());
            ipe.initCause(e);
            throw ipe;
        }
    }

    /** Opens this factory's pool (its devices are watched from now on); called by the adapter's start. */
    void openPool() throws ResourceException {
        pool();
    }

    /**
     * The running pool; validates the configuration and opens the devices on first use. Factories
     * with equal configuration share one pool; when this factory is garbage collected its share is
     * given back, and the last share closes the pool's sockets and stops its reconnects.
     */
    synchronized PoolRuntime pool() throws ResourceException {
        if (pool != null && !pool.isClosed()) {
            return pool;
        }
        PoolConfig config = config();
        String name = poolName == null || poolName.isBlank()
                ? (devices == null || devices.isBlank() ? config.defaultDevice().id() : "devices:" + config.devices()
                        .stream().map(d -> d.id()).toList())
                : poolName.trim();
        AdapterRuntime r = runtime();
        List<Object> key = List.of(Arrays.asList(identity()));
        pool = r.acquirePool(key, name, config);
        if (resourceAdapter != null) {
            r.releaseWhenCollected(this, key);
        }
        return pool;
    }

    private String describePool() {
        return poolName != null && !poolName.isBlank() ? poolName
                : devices != null && !devices.isBlank() ? "devices=" + devices : host + ":" + port;
    }

    synchronized AdapterRuntime runtime() throws ResourceException {
        if (resourceAdapter != null) {
            return resourceAdapter.runtime();
        }
        if (ownRuntime == null || ownRuntime.isClosed()) {
            ownRuntime = new AdapterRuntime(1, TransportKind.AUTO, "fieldlink-standalone");
            pool = null;
        }
        return ownRuntime;
    }

    /** Closes the standalone runtime, if this factory runs outside a resource adapter. */
    synchronized void closeStandalone() {
        if (ownRuntime != null) {
            ownRuntime.close();
            ownRuntime = null;
            pool = null;
        }
    }

    // ---- association and log writer

    @Override
    public ResourceAdapter getResourceAdapter() {
        return resourceAdapter;
    }

    @Override
    public void setResourceAdapter(ResourceAdapter ra) throws ResourceException {
        if (!(ra instanceof FieldLinkResourceAdapter fra)) {
            throw new ResourceException("FieldLink pools need the FieldLink resource adapter, got " + ra);
        }
        this.resourceAdapter = fra;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    // ---- config properties (JavaBean: the container sets them by name)

    public String getPoolName() { return poolName; }
    public void setPoolName(String v) { poolName = v; }
    @Override public String getDeviceId() { return deviceId; }
    public void setDeviceId(String v) { deviceId = v; }
    @Override public String getHost() { return host; }
    public void setHost(String v) { host = v; }
    @Override public Integer getPort() { return port; }
    public void setPort(Integer v) { port = v; }
    @Override public String getDevices() { return devices; }
    public void setDevices(String v) { devices = v; }
    @Override public Integer getMaxConnectionsPerDevice() { return maxConnectionsPerDevice; }
    public void setMaxConnectionsPerDevice(Integer v) { maxConnectionsPerDevice = v; }
    @Override public Integer getMinIdlePerDevice() { return minIdlePerDevice; }
    public void setMinIdlePerDevice(Integer v) { minIdlePerDevice = v; }
    @Override public Integer getMaxWaitMs() { return maxWaitMs; }
    public void setMaxWaitMs(Integer v) { maxWaitMs = v; }
    @Override public Integer getCorrelationIdOffset() { return correlationIdOffset; }
    public void setCorrelationIdOffset(Integer v) { correlationIdOffset = v; }
    @Override public Integer getCorrelationIdLength() { return correlationIdLength; }
    public void setCorrelationIdLength(Integer v) { correlationIdLength = v; }
    @Override public Integer getConnectTimeoutMs() { return connectTimeoutMs; }
    public void setConnectTimeoutMs(Integer v) { connectTimeoutMs = v; }
    @Override public Integer getRequestTimeoutMs() { return requestTimeoutMs; }
    public void setRequestTimeoutMs(Integer v) { requestTimeoutMs = v; }
    @Override public Integer getKeepAliveIdleSeconds() { return keepAliveIdleSeconds; }
    public void setKeepAliveIdleSeconds(Integer v) { keepAliveIdleSeconds = v; }
    @Override public Integer getKeepAliveIntervalSeconds() { return keepAliveIntervalSeconds; }
    public void setKeepAliveIntervalSeconds(Integer v) { keepAliveIntervalSeconds = v; }
    @Override public Integer getKeepAliveCount() { return keepAliveCount; }
    public void setKeepAliveCount(Integer v) { keepAliveCount = v; }
    @Override public Integer getUserTimeoutMs() { return userTimeoutMs; }
    public void setUserTimeoutMs(Integer v) { userTimeoutMs = v; }
    @Override public String getFraming() { return framing; }
    public void setFraming(String v) { framing = v; }
    @Override public String getDelimiter() { return delimiter; }
    public void setDelimiter(String v) { delimiter = v; }
    @Override public Integer getLengthFieldOffset() { return lengthFieldOffset; }
    public void setLengthFieldOffset(Integer v) { lengthFieldOffset = v; }
    @Override public Integer getLengthFieldLength() { return lengthFieldLength; }
    public void setLengthFieldLength(Integer v) { lengthFieldLength = v; }
    @Override public Integer getLengthAdjustment() { return lengthAdjustment; }
    public void setLengthAdjustment(Integer v) { lengthAdjustment = v; }
    @Override public String getLengthFieldByteOrder() { return lengthFieldByteOrder; }
    public void setLengthFieldByteOrder(String v) { lengthFieldByteOrder = v; }
    @Override public Integer getFixedFrameLength() { return fixedFrameLength; }
    public void setFixedFrameLength(Integer v) { fixedFrameLength = v; }
    @Override public Integer getMaxFrameLength() { return maxFrameLength; }
    public void setMaxFrameLength(Integer v) { maxFrameLength = v; }
    @Override public Integer getHeartbeatIntervalMs() { return heartbeatIntervalMs; }
    public void setHeartbeatIntervalMs(Integer v) { heartbeatIntervalMs = v; }
    @Override public String getHeartbeatRequest() { return heartbeatRequest; }
    public void setHeartbeatRequest(String v) { heartbeatRequest = v; }
    @Override public Integer getHeartbeatTimeoutMs() { return heartbeatTimeoutMs; }
    public void setHeartbeatTimeoutMs(Integer v) { heartbeatTimeoutMs = v; }
    @Override public Integer getReconnectInitialDelayMs() { return reconnectInitialDelayMs; }
    public void setReconnectInitialDelayMs(Integer v) { reconnectInitialDelayMs = v; }
    @Override public Integer getReconnectMaxDelayMs() { return reconnectMaxDelayMs; }
    public void setReconnectMaxDelayMs(Integer v) { reconnectMaxDelayMs = v; }
    @Override public Double getReconnectMultiplier() { return reconnectMultiplier; }
    public void setReconnectMultiplier(Double v) { reconnectMultiplier = v; }
    @Override public Integer getMaxInFlightPerConnection() { return maxInFlightPerConnection; }
    public void setMaxInFlightPerConnection(Integer v) { maxInFlightPerConnection = v; }
    @Override public String getOneAtATimeDevices() { return oneAtATimeDevices; }
    public void setOneAtATimeDevices(String v) { oneAtATimeDevices = v; }
    @Override public Integer getWaitWhileDownMs() { return waitWhileDownMs; }
    public void setWaitWhileDownMs(Integer v) { waitWhileDownMs = v; }
    @Override public Integer getPayloadPreviewBytes() { return payloadPreviewBytes; }
    public void setPayloadPreviewBytes(Integer v) { payloadPreviewBytes = v; }

    // JCA: a factory equals another with the same configuration.
    private Object[] identity() {
        return new Object[] {poolName, deviceId, host, port, devices, maxConnectionsPerDevice, minIdlePerDevice,
            maxWaitMs, correlationIdOffset, correlationIdLength, maxInFlightPerConnection, oneAtATimeDevices, connectTimeoutMs,
            requestTimeoutMs, keepAliveIdleSeconds, keepAliveIntervalSeconds, keepAliveCount, userTimeoutMs, framing,
            delimiter, lengthFieldOffset, lengthFieldLength, lengthAdjustment, lengthFieldByteOrder, fixedFrameLength,
            maxFrameLength, heartbeatIntervalMs, heartbeatRequest, heartbeatTimeoutMs, reconnectInitialDelayMs,
            reconnectMaxDelayMs, reconnectMultiplier, waitWhileDownMs, payloadPreviewBytes};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceManagedConnectionFactory other && other.getClass() == getClass()
                && java.util.Arrays.equals(identity(), other.identity()) && other.resourceAdapter == resourceAdapter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(identity());
    }

    @Override
    public String toString() {
        return "DeviceManagedConnectionFactory[" + describePool() + "]";
    }
}
