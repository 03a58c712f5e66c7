package io.fieldlink.config;

/**
 * The raw config properties of one pool, as the container or a standalone caller set them on the
 * managed connection factory. {@link PoolConfig#from(PoolProperties)} validates them once.
 */
public interface PoolProperties {

    String getDeviceId();

    String getHost();

    Integer getPort();

    String getDevices();

    Integer getMaxConnectionsPerDevice();

    Integer getMinIdlePerDevice();

    Integer getMaxWaitMs();

    Integer getCorrelationIdOffset();

    Integer getCorrelationIdLength();

    Integer getMaxInFlightPerConnection();

    String getOneAtATimeDevices();

    Integer getConnectTimeoutMs();

    Integer getRequestTimeoutMs();

    Integer getKeepAliveIdleSeconds();

    Integer getKeepAliveIntervalSeconds();

    Integer getKeepAliveCount();

    Integer getUserTimeoutMs();

    String getFraming();

    String getDelimiter();

    Integer getLengthFieldOffset();

    Integer getLengthFieldLength();

    Integer getLengthAdjustment();

    String getLengthFieldByteOrder();

    Integer getFixedFrameLength();

    Integer getMaxFrameLength();

    Integer getHeartbeatIntervalMs();

    String getHeartbeatRequest();

    Integer getHeartbeatTimeoutMs();

    Integer getReconnectInitialDelayMs();

    Integer getReconnectMaxDelayMs();

    Double getReconnectMultiplier();

    Integer getWaitWhileDownMs();

    Integer getPayloadPreviewBytes();
}
