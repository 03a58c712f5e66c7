package io.fieldlink.config;

import io.fieldlink.spi.DeviceManagedConnectionFactory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolConfigTest {

    private static DeviceManagedConnectionFactory single() {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setHost("127.0.0.1");
        mcf.setPort(5020);
        return mcf;
    }

    @Test
    void defaultsAreValidAndKeepUserTimeoutAboveTheKeepaliveBound() {
        PoolConfig c = PoolConfig.from(single());
        assertThat(c.devices()).containsExactly(new DeviceAddress("127.0.0.1:5020", "127.0.0.1", 5020));
        assertThat(c.link().keepAliveBoundMs()).isEqualTo(25_000);
        assertThat(c.link().userTimeoutMs()).as("auto: the keepalive bound").isEqualTo(25_000);
        assertThat(c.link().framing().framing()).isEqualTo(Framing.LINE);
        assertThat(c.link().framing().delimiter()).containsExactly('\n');
    }

    @Test
    void userTimeoutIsTheKeepaliveBoundUnlessSetOrSwitchedOff() {
        DeviceManagedConnectionFactory mcf = single();
        mcf.setKeepAliveIdleSeconds(1);
        mcf.setKeepAliveIntervalSeconds(1);
        mcf.setKeepAliveCount(2);
        assertThat(PoolConfig.from(mcf).link().userTimeoutMs()).isEqualTo(3_000);
        mcf.setUserTimeoutMs(-1);
        assertThat(PoolConfig.from(mcf).link().userTimeoutMs()).isZero();
        mcf.setUserTimeoutMs(1_500);
        assertThat(PoolConfig.from(mcf).link().userTimeoutMs()).isEqualTo(1_500);
        mcf.setUserTimeoutMs(-2);
        assertThatThrownBy(() -> PoolConfig.from(mcf)).hasMessage("userTimeoutMs=-2 is invalid; accepted: -1..2147483647");
    }

    @Test
    void badValueNamesPropertyValueAndAcceptedRange() {
        DeviceManagedConnectionFactory mcf = single();
        mcf.setKeepAliveCount(0);
        assertThatThrownBy(() -> PoolConfig.from(mcf)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("keepAliveCount=0 is invalid; accepted: 1..127");

        DeviceManagedConnectionFactory port = single();
        port.setPort(70000);
        assertThatThrownBy(() -> PoolConfig.from(port)).hasMessage("port=70000 is invalid; accepted: 1..65535");

        DeviceManagedConnectionFactory framing = single();
        framing.setFraming("SLIP");
        assertThatThrownBy(() -> PoolConfig.from(framing))
                .hasMessage("framing='SLIP' is invalid; accepted: LINE|DELIMITER|LENGTH_FIELD|FIXED_LENGTH|RAW");

        DeviceManagedConnectionFactory delim = single();
        delim.setDelimiter("zz");
        assertThatThrownBy(() -> PoolConfig.from(delim)).hasMessageStartingWith("delimiter='zz' is invalid; accepted: hex");

        DeviceManagedConnectionFactory backoff = single();
        backoff.setReconnectMaxDelayMs(100);
        assertThatThrownBy(() -> PoolConfig.from(backoff))
                .hasMessage("reconnectMaxDelayMs=100 is invalid; accepted: 500..3600000");

        DeviceManagedConnectionFactory nulls = single();
        nulls.setConnectTimeoutMs(null);
        assertThatThrownBy(() -> PoolConfig.from(nulls)).hasMessage("connectTimeoutMs=null is invalid; accepted: 1..600000");
    }

    @Test
    void missingHostAndConflictingDeviceSources() {
        DeviceManagedConnectionFactory none = new DeviceManagedConnectionFactory();
        assertThatThrownBy(() -> PoolConfig.from(none)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("host='' is invalid");

        DeviceManagedConnectionFactory both = single();
        both.setDevices("a=127.0.0.1:1");
        assertThatThrownBy(() -> PoolConfig.from(both)).hasMessageContaining("either devices or host/port");
    }

    @Test
    void deviceTableIsParsedInOrderWithDefaultDevice() {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setDevices(" plc-1=10.0.0.7:502, meter.3 = gw.local:4001 ,v6=[::1]:5020");
        mcf.setDeviceId("meter.3");
        PoolConfig c = PoolConfig.from(mcf);
        assertThat(c.devices()).extracting(DeviceAddress::id).containsExactly("plc-1", "meter.3", "v6");
        assertThat(c.device("v6").host()).isEqualTo("::1");
        assertThat(c.device("v6").address()).isEqualTo("[::1]:5020");
        assertThat(c.defaultDevice().id()).isEqualTo("meter.3");
        assertThat(c.device("nope")).isNull();
    }

    @Test
    void badDeviceTablesAreRejectedWithTheEntry() {
        for (String bad : List.of("plc-1=10.0.0.7", "=h:1", "a=h:0", "a=h:x", "a b=h:1", "a=h:1,a=h:2", "a=:5")) {
            DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
            mcf.setDevices(bad);
            assertThatThrownBy(() -> PoolConfig.from(mcf)).as(bad).isInstanceOf(InvalidConfigException.class)
                    .hasMessageStartingWith("devices='" + bad + "' is invalid; accepted: ");
        }
        DeviceManagedConnectionFactory unknownDefault = new DeviceManagedConnectionFactory();
        unknownDefault.setDevices("a=h:1");
        unknownDefault.setDeviceId("b");
        assertThatThrownBy(() -> PoolConfig.from(unknownDefault)).hasMessage("deviceId='b' is invalid; accepted: one of the ids in devices: [a]");
    }

    @Test
    void framingSpecificRules() {
        DeviceManagedConnectionFactory fixed = single();
        fixed.setFraming("fixed-length");
        assertThatThrownBy(() -> PoolConfig.from(fixed)).hasMessage("fixedFrameLength=0 is invalid; accepted: 1..65536");
        fixed.setFixedFrameLength(8);
        assertThat(PoolConfig.from(fixed).link().framing().fixedFrameLength()).isEqualTo(8);

        DeviceManagedConnectionFactory length = single();
        length.setFraming("LENGTH_FIELD");
        length.setLengthFieldLength(5);
        assertThatThrownBy(() -> PoolConfig.from(length)).hasMessage("lengthFieldLength=5 is invalid; accepted: 1, 2, 3, 4 or 8");

        DeviceManagedConnectionFactory heartbeat = single();
        heartbeat.setHeartbeatIntervalMs(1000);
        assertThatThrownBy(() -> PoolConfig.from(heartbeat)).hasMessageStartingWith("heartbeatRequest='' is invalid");
        heartbeat.setHeartbeatRequest("50494e47");
        assertThat(PoolConfig.from(heartbeat).link().heartbeatRequest()).containsExactly('P', 'I', 'N', 'G');
    }

    @Test
    void ipv6LiteralsInTheDeviceTableNeedBrackets() {
        for (String bad : List.of("v6=::1", "v6=fe80::1", "v6=[10.0.0.1]:502")) {
            DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
            mcf.setDevices(bad);
            assertThatThrownBy(() -> PoolConfig.from(mcf)).as(bad).isInstanceOf(InvalidConfigException.class)
                    .hasMessageStartingWith("devices='" + bad + "' is invalid; accepted: ");
        }
        DeviceManagedConnectionFactory fe80 = new DeviceManagedConnectionFactory();
        fe80.setDevices("v6=fe80::1");
        assertThatThrownBy(() -> PoolConfig.from(fe80)).hasMessageContaining("an IPv6 address needs brackets, as in v6=[fe80::1]:502");
        DeviceManagedConnectionFactory ok = new DeviceManagedConnectionFactory();
        ok.setDevices("v6=[fe80::1]:502");
        assertThat(PoolConfig.from(ok).device("v6").host()).isEqualTo("fe80::1");
    }

    @Test
    void newPoolPropertiesAreValidatedWithTheirRanges() {
        DeviceManagedConnectionFactory minIdle = single();
        minIdle.setMinIdlePerDevice(3);
        assertThatThrownBy(() -> PoolConfig.from(minIdle)).hasMessage("minIdlePerDevice=3 is invalid; accepted: 0..2");

        DeviceManagedConnectionFactory wait = single();
        wait.setMaxWaitMs(0);
        assertThatThrownBy(() -> PoolConfig.from(wait)).hasMessage("maxWaitMs=0 is invalid; accepted: 1..3600000");

        DeviceManagedConnectionFactory id = single();
        id.setFraming("LENGTH_FIELD");
        id.setLengthFieldOffset(4);
        id.setCorrelationIdOffset(3);
        assertThatThrownBy(() -> PoolConfig.from(id)).hasMessageStartingWith("correlationIdOffset=3 is invalid; accepted: "
                + "an id field that does not overlap the length field (bytes 4..5)");
        id.setCorrelationIdOffset(0);
        assertThat(PoolConfig.from(id).link().correlation()).isEqualTo(new io.fieldlink.config.Correlation(0, 2));
        id.setCorrelationIdLength(9);
        assertThatThrownBy(() -> PoolConfig.from(id)).hasMessage("correlationIdLength=9 is invalid; accepted: 1..8");
    }

    @Test
    void requestsInFlightPerConnectionNeedCorrelationAndCanBeOneForChosenDevices() {
        DeviceManagedConnectionFactory mcf = new DeviceManagedConnectionFactory();
        mcf.setDevices("gw=127.0.0.1:502,old-plc=127.0.0.1:503");
        mcf.setFraming("LENGTH_FIELD");
        mcf.setLengthFieldOffset(4);
        PoolConfig plain = PoolConfig.from(mcf);
        DeviceAddress gw = plain.device("gw");
        DeviceAddress old = plain.device("old-plc");
        assertThat(plain.maxInFlight(gw)).as("no correlation: the order of frames is all there is").isEqualTo(1);

        mcf.setCorrelationIdOffset(0);
        assertThat(PoolConfig.from(mcf).maxInFlight(gw)).isEqualTo(PoolConfig.DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION);
        mcf.setMaxInFlightPerConnection(32);
        mcf.setOneAtATimeDevices(" old-plc ");
        PoolConfig pipelined = PoolConfig.from(mcf);
        assertThat(pipelined.maxInFlight(gw)).isEqualTo(32);
        assertThat(pipelined.maxInFlight(old)).isEqualTo(1);

        mcf.setMaxInFlightPerConnection(0);
        assertThatThrownBy(() -> PoolConfig.from(mcf)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("maxInFlightPerConnection=0 is invalid; accepted: 1..1024");
        mcf.setMaxInFlightPerConnection(200);
        mcf.setCorrelationIdLength(1);
        assertThatThrownBy(() -> PoolConfig.from(mcf)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("maxInFlightPerConnection=200 is invalid; accepted: 1..127 with a 1-byte correlation id");
        mcf.setCorrelationIdLength(2);
        mcf.setMaxInFlightPerConnection(8);
        mcf.setOneAtATimeDevices("old-plc,plc-9");
        assertThatThrownBy(() -> PoolConfig.from(mcf)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("oneAtATimeDevices='old-plc,plc-9' is invalid; accepted: a comma-separated list of the "
                        + "pool's device ids [gw, old-plc] ('plc-9' is not one)");
    }
}
