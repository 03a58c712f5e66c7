package io.fieldlink.transport;

import io.fieldlink.api.ConnectionLostException;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceState;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.testsupport.TestAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every framing against an independent simulated device over real loopback sockets. */
class FramingTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final TestAdapter adapter = new TestAdapter();
    private DeviceSimulator sim;

    @AfterEach
    void tearDown() {
        adapter.close();
        if (sim != null) {
            sim.close();
        }
    }

    @Test
    void lineFramingAddsTheLineEndOnSendAndStripsItOnReceive() throws Exception {
        sim = DeviceSimulator.start(SimFraming.line()).respondWith(r -> ("ACK " + new String(r, US_ASCII)).getBytes(US_ASCII));
        DeviceConnectionFactory f = adapter.factory("meter", sim, m -> { });
        try (DeviceConnection c = f.getConnection()) {
            assertThat(new String(c.request("READ V1".getBytes(US_ASCII), TIMEOUT), US_ASCII)).isEqualTo("ACK READ V1");
            assertThat(new String(c.request("READ V2".getBytes(US_ASCII), TIMEOUT), US_ASCII)).isEqualTo("ACK READ V2");
            assertThat(c.deviceId()).isEqualTo("meter");
        }
    }

    @Test
    void delimiterFraming() throws Exception {
        byte[] etx = {0x03};
        sim = DeviceSimulator.start(SimFraming.delimiter(etx));
        DeviceConnectionFactory f = adapter.factory("rtu", sim, m -> {
            m.setFraming("DELIMITER");
            m.setDelimiter("03");
        });
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(new byte[] {0x02, 'A', 'B'}, TIMEOUT)).containsExactly(0x02, 'A', 'B');
        }
    }

    @Test
    void lengthFieldFramingCarriesModbusTcpFramesWithTheirMbapHeader() throws Exception {
        sim = DeviceSimulator.start(SimFraming.modbusTcp()).respondWith(req -> {
            // read holding registers answer: same transaction id, 2 registers
            byte[] pdu = {0x03, 0x04, 0x00, 0x2A, 0x01, 0x00};
            byte[] resp = Arrays.copyOf(req, 7 + pdu.length);
            resp[4] = 0;
            resp[5] = (byte) (1 + pdu.length);
            System.arraycopy(pdu, 0, resp, 7, pdu.length);
            return resp;
        });
        DeviceConnectionFactory f = adapter.factory("plc", sim, m -> {
            m.setFraming("LENGTH_FIELD");
            m.setLengthFieldOffset(4);
            m.setLengthFieldLength(2);
        });
        byte[] request = HexFormat.of().parseHex("0007000000060103000a0002");
        try (DeviceConnection c = f.getConnection()) {
            byte[] reply = c.request(request, TIMEOUT);
            assertThat(HexFormat.of().formatHex(reply)).isEqualTo("000700000007" + "01" + "0304002a0100");
        }
    }

    @Test
    void fixedLengthFramingAndItsSizeCheck() throws Exception {
        sim = DeviceSimulator.start(SimFraming.fixed(4));
        DeviceConnectionFactory f = adapter.factory("fixed", sim, m -> {
            m.setFraming("FIXED_LENGTH");
            m.setFixedFrameLength(4);
        });
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request(new byte[] {1, 2, 3, 4}, TIMEOUT)).containsExactly(1, 2, 3, 4);
            assertThatThrownBy(() -> c.send(new byte[] {1, 2, 3})).isInstanceOf(DeviceException.class)
                    .hasMessageContaining("fixed-length framing needs exactly 4");
        }
    }

    @Test
    void rawFramingPassesChunksCappedAtMaxFrameLength() throws Exception {
        sim = DeviceSimulator.start(SimFraming.raw());
        DeviceConnectionFactory f = adapter.factory("raw", sim, m -> {
            m.setFraming("RAW");
            m.setMaxFrameLength(64);
        });
        try (DeviceConnection c = f.getConnection()) {
            byte[] out = new byte[60];
            Arrays.fill(out, (byte) 7);
            assertThat(c.request(out, TIMEOUT)).isEqualTo(out);
        }
    }

    @Test
    void aFrameOverMaxFrameLengthCostsTheDeviceOnlyThatConnection() throws Exception {
        sim = DeviceSimulator.start(SimFraming.line()).respondWith(r -> r.length == 3 ? new byte[5_000] : r);
        DeviceConnectionFactory f = adapter.factory("chatty", sim, m -> m.setMaxFrameLength(1_024));
        try (DeviceConnection c = f.getConnection()) {
            assertThatThrownBy(() -> c.request("BIG".getBytes(US_ASCII), TIMEOUT))
                    .isInstanceOf(ConnectionLostException.class).hasMessageContaining("maxFrameLength");
        }
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.UP);
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request("ok".getBytes(US_ASCII), TIMEOUT)).containsExactly('o', 'k');
        }
        assertThat(adapter.events.edges()).isEmpty();
    }

    @Test
    void aLengthFieldAnnouncingAHugeFrameFailsAtOnce() throws Exception {
        // the header claims 60,000 bytes follow: the decoder refuses before buffering any of them
        sim = DeviceSimulator.start(SimFraming.modbusTcp())
                .respondWith(req -> HexFormat.of().parseHex("00010000ea6001"));
        DeviceConnectionFactory f = adapter.factory("liar", sim, m -> {
            m.setFraming("LENGTH_FIELD");
            m.setLengthFieldOffset(4);
            m.setMaxFrameLength(1_024);
        });
        try (DeviceConnection c = f.getConnection()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.request(HexFormat.of().parseHex("0001000000020103"), TIMEOUT))
                    .isInstanceOf(ConnectionLostException.class).hasMessageContaining("maxFrameLength");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT);
        }
    }

    @Test
    void unreadFramesDoNotAnswerTheNextRequest() throws Exception {
        sim = DeviceSimulator.start(SimFraming.line());
        DeviceConnectionFactory f = adapter.factory("pusher", sim, m -> { });
        try (DeviceConnection c = f.getConnection()) {
            assertThat(c.request("one".getBytes(US_ASCII), TIMEOUT)).containsExactly('o', 'n', 'e');
            sim.pushToAll("spontaneous".getBytes(US_ASCII));
            assertThat(c.receive(TIMEOUT)).isEqualTo("spontaneous".getBytes(US_ASCII));
            sim.pushToAll("late".getBytes(US_ASCII));
            Thread.sleep(100); // let the unsolicited frame arrive before the request
            assertThat(c.request("two".getBytes(US_ASCII), TIMEOUT)).containsExactly('t', 'w', 'o');
            // waiting for a spontaneous frame that does not come is not a broken connection
            assertThatThrownBy(() -> c.receive(Duration.ofMillis(100)))
                    .isInstanceOf(io.fieldlink.api.DeviceTimeoutException.class).hasMessageContaining("no frame within 100 ms");
            assertThat(c.request("three".getBytes(US_ASCII), TIMEOUT)).isEqualTo("three".getBytes(US_ASCII));
        }
        assertThat(sim.connectionsAccepted()).isEqualTo(1);
    }
}
