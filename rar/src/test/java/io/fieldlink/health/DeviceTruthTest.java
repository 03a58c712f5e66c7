package io.fieldlink.health;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceState;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.simulator.Behaviour;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.testsupport.TestAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static io.fieldlink.testsupport.RecordingListener.dropped;
import static io.fieldlink.testsupport.RecordingListener.restored;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The findings of "Device truth", each as the failure a user saw: answers that were not the
 * request's own, and outages announced for healthy devices. Every answer is checked by content
 * (each request carries a unique payload and the device echoes it).
 */
class DeviceTruthTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final TestAdapter adapter = new TestAdapter();
    private final List<DeviceSimulator> sims = new ArrayList<>();

    @AfterEach
    void tearDown() {
        adapter.close();
        sims.forEach(DeviceSimulator::close);
    }

    private DeviceSimulator modbusDevice() {
        DeviceSimulator sim = DeviceSimulator.start(SimFraming.modbusTcp());
        sims.add(sim);
        return sim;
    }

    /** A pool speaking Modbus TCP framing (2-byte length at offset 4) to {@code sim}. */
    private DeviceConnectionFactory modbusPool(String id, DeviceSimulator sim, Consumer<DeviceManagedConnectionFactory> tune) {
        return adapter.factory(id, sim, m -> {
            m.setFraming("LENGTH_FIELD");
            m.setLengthFieldOffset(4);
            tune.accept(m);
        });
    }

    /** An MBAP frame: transaction id, protocol 0, length, unit 1, then the payload. */
    static byte[] mbap(int tid, String payload) {
        byte[] p = payload.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(7 + p.length).putShort((short) tid).putShort((short) 0)
                .putShort((short) (1 + p.length)).put((byte) 1).put(p).array();
    }

    static String payload(byte[] frame) {
        return new String(frame, 7, frame.length - 7, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** The device's stray frame: a well-formed frame that answers nothing. */
    private static byte[] stray(byte[] request) {
        return mbap(0xFFFF, "stray after " + payload(request));
    }

    private static void await(String what, BooleanSupplier condition, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeoutMs + " ms: " + what);
            }
            Thread.sleep(5);
        }
    }

    private long edges(String device) {
        return adapter.events.changes().stream().filter(dropped(device).or(restored(device))).count();
    }

    // ---- 1. wrong answers

    @Test
    void aStrayFrameInTheSameSegmentAsTheAnswerNeverAnswersTheNextRequest() throws Exception {
        DeviceSimulator sim = modbusDevice().strayFrames(1.0, DeviceTruthTest::stray);
        DeviceConnectionFactory f = modbusPool("stray", sim, m -> { });
        int wrong = 0;
        try (DeviceConnection c = f.getConnection()) {
            for (int i = 0; i < 1_000; i++) {
                String mine = "read " + i;
                if (!payload(c.request(mbap(i, mine), TIMEOUT)).equals(mine)) {
                    wrong++;
                }
            }
        }
        assertThat(wrong).as("answers that were not the request's own").isZero();
        assertThat(sim.strayFramesSent()).isEqualTo(1_000);
    }

    @Test
    void aStrayFrameNeverFollowsTheConnectionToTheNextBorrower() throws Exception {
        DeviceSimulator sim = modbusDevice().strayFrames(0.5, DeviceTruthTest::stray).seed(8);
        DeviceConnectionFactory f = modbusPool("passed-on", sim, m -> m.setMaxConnectionsPerDevice(1));
        int wrong = 0;
        for (int i = 0; i < 200; i++) {
            try (DeviceConnection c = f.getConnection()) {
                String mine = "borrower " + i;
                if (!payload(c.request(mbap(i, mine), TIMEOUT)).equals(mine)) {
                    wrong++;
                }
            }
        }
        assertThat(sim.strayFramesSent()).isPositive();
        assertThat(wrong).isZero();
    }

    @Test
    void framesStreamedAroundARequestAreNeverItsAnswerWithCorrelation() throws Exception {
        // without an id in the frame, a frame the device sent before it read the request but that
        // arrives after the request was written is indistinguishable from the answer; with the
        // Modbus transaction id FieldLink matches answers to requests whatever else streams in
        DeviceSimulator sim = modbusDevice();
        DeviceConnectionFactory f = modbusPool("streamer", sim, m -> {
            m.setCorrelationIdOffset(0);
            m.setCorrelationIdLength(2);
        });
        AtomicInteger n = new AtomicInteger();
        sim.unsolicited(1, () -> mbap(0xFFFE, "unsolicited " + n.incrementAndGet()));
        int wrong = 0;
        try (DeviceConnection c = f.getConnection()) {
            for (int i = 0; i < 300; i++) {
                String mine = "amid the stream " + i;
                byte[] answer = c.request(mbap(1000 + i, mine), TIMEOUT);
                if (!payload(answer).equals(mine) || ByteBuffer.wrap(answer).getShort(0) != (short) (1000 + i)) {
                    wrong++;
                }
            }
        } finally {
            sim.unsolicited(0, null);
        }
        assertThat(sim.unsolicitedSent()).isPositive();
        assertThat(wrong).as("answers that were not the request's own, or lost the caller's transaction id").isZero();
    }

    @Test
    void framesDecodedBeforeARequestNeverAnswerIt() throws Exception {
        DeviceSimulator sim = modbusDevice();
        DeviceConnectionFactory f = modbusPool("pushed", sim, m -> { });
        int wrong = 0;
        try (DeviceConnection c = f.getConnection()) {
            // borrow the connection first: receive() sees only frames that arrive while it is borrowed,
            // and a push racing the first borrow would be nobody's
            assertThat(payload(c.request(mbap(999, "borrowed"), TIMEOUT))).isEqualTo("borrowed");
            for (int i = 0; i < 50; i++) {
                // two unrequested frames in one TCP segment: reading the first proves the second was
                // decoded with it, before the request below is written
                byte[] a = mbap(0xFFFE, "pushed A " + i);
                byte[] b = mbap(0xFFFE, "pushed B " + i);
                byte[] both = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, both, a.length, b.length);
                sim.pushToAll(both);
                assertThat(payload(c.receive(TIMEOUT))).isEqualTo("pushed A " + i);
                String mine = "after push " + i;
                if (!payload(c.request(mbap(i, mine), TIMEOUT)).equals(mine)) {
                    wrong++;
                }
            }
        }
        assertThat(wrong).isZero();
    }

    // ---- 2. late answers and partial frames

    @Test
    void aLateAnswerNeverReachesTheNextBorrower() throws Exception {
        DeviceSimulator sim = modbusDevice();
        DeviceConnectionFactory f = modbusPool("late", sim, m -> m.setMaxConnectionsPerDevice(1));
        sim.behave(Behaviour.DELAY).delayMs(300);
        try (DeviceConnection a = f.getConnection()) {
            a.send(mbap(1, "A's question"));
            assertThatThrownBy(() -> a.receive(Duration.ofMillis(100))).isInstanceOf(DeviceTimeoutException.class);
        }
        try (DeviceConnection b = f.getConnection()) {
            assertThat(payload(b.request(mbap(2, "B's question"), TIMEOUT))).isEqualTo("B's question");
        }
    }

    @Test
    void aPartFrameLeftInTheDecoderIsNeverGluedToTheNextAnswer() throws Exception {
        // each 10-byte answer is followed by a stray frame, all trickling out in 3-byte pieces: the
        // piece that completes A's answer also carries the first 2 bytes of the stray frame, so they
        // sit in the decoder when A gives the connection back
        DeviceSimulator sim = modbusDevice().strayFrames(1.0, DeviceTruthTest::stray).partialAnswers(3, 15);
        DeviceConnectionFactory f = modbusPool("trickle", sim, m -> m.setMaxConnectionsPerDevice(1));
        int wrong = 0;
        for (int i = 0; i < 20; i++) {
            String mine = String.format("q%02d", i);
            try (DeviceConnection c = f.getConnection()) {
                byte[] answer = c.request(mbap(i, mine), TIMEOUT);
                if (!payload(answer).equals(mine) || answer.length != 10) {
                    wrong++;
                }
            }
        }
        assertThat(wrong).isZero();
    }

    @Test
    void anAnswerStillOwedToASendNeverReachesTheNextBorrower() throws Exception {
        // the device answers B's send 300 ms late; A read only the first answer and closed
        DeviceSimulator sim = modbusDevice().respondWith(r -> {
            if (payload(r).equals("B")) {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return r;
        });
        DeviceConnectionFactory f = modbusPool("owed", sim, m -> m.setMaxConnectionsPerDevice(1));
        try (DeviceConnection a = f.getConnection()) {
            a.send(mbap(1, "A"));
            a.send(mbap(2, "B"));
            assertThat(payload(a.receive(TIMEOUT))).isEqualTo("A");
        }
        try (DeviceConnection c = f.getConnection()) {
            assertThat(payload(c.request(mbap(3, "C"), TIMEOUT))).isEqualTo("C");
        }
    }

    @Test
    void aRequestAfterAnUnansweredSendFailsLoudlyInsteadOfTakingItsAnswer() throws Exception {
        DeviceSimulator sim = modbusDevice();
        sim.behave(Behaviour.DELAY).delayMs(200);
        DeviceConnectionFactory f = modbusPool("mixed", sim, m -> { });
        try (DeviceConnection c = f.getConnection()) {
            c.send(mbap(1, "fire"));
            assertThatThrownBy(() -> c.request(mbap(2, "ask"), TIMEOUT)).isInstanceOf(io.fieldlink.api.DeviceException.class)
                    .hasMessageContaining("answer(s) to earlier send() calls may still arrive");
            assertThat(payload(c.receive(TIMEOUT))).isEqualTo("fire");
            assertThat(payload(c.request(mbap(3, "ask"), TIMEOUT))).isEqualTo("ask");
        }
    }

    @Test
    void withCorrelationSendAndRequestMixAndEveryoneGetsTheirOwnIdBack() throws Exception {
        DeviceSimulator sim = modbusDevice();
        sim.behave(Behaviour.DELAY).delayMs(100);
        DeviceConnectionFactory f = modbusPool("mixed-ids", sim, m -> m.setCorrelationIdOffset(0));
        try (DeviceConnection c = f.getConnection()) {
            c.send(mbap(7, "sent"));
            byte[] answer = c.request(mbap(7, "asked"), TIMEOUT); // the same caller id: FieldLink's ids differ
            assertThat(payload(answer)).isEqualTo("asked");
            byte[] received = c.receive(TIMEOUT);
            assertThat(payload(received)).isEqualTo("sent");
            assertThat(ByteBuffer.wrap(received).getShort(0)).isEqualTo((short) 7);
        }
    }

    // ---- 3. healthy devices announced as outages

    @Test
    void aDeviceThatAcceptsAndResetsEveryConnectionStaysDownOnceWithGrowingBackoff() throws Exception {
        DeviceSimulator sim = modbusDevice();
        DeviceConnectionFactory f = modbusPool("rst", sim, m -> m.setReconnectMaxDelayMs(200));
        try (DeviceConnection c = f.getConnection()) {
            c.request(mbap(1, "hello"), TIMEOUT);
        }
        sim.acceptThenReset(0);
        sim.resetAll();
        await("DOWN", () -> adapter.events.changes().stream().anyMatch(dropped("rst")), 5_000);
        long resetsAtDrop = sim.acceptResets();
        // the reconnector keeps trying: six more connects accepted and reset prove it moved on
        await("six reconnect attempts", () -> sim.acceptResets() >= resetsAtDrop + 6, 10_000);
        assertThat(edges("rst")).as("one DROPPED, no RESTORED").isEqualTo(1);
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.DOWN);
        assertThat(f.devices().get(0).reconnectAttempts()).as("backoff never reset").isGreaterThanOrEqualTo(6);
        sim.acceptThenReset(-1);
        await("RESTORED", () -> adapter.events.changes().stream().anyMatch(restored("rst")), 5_000);
        assertThat(edges("rst")).isEqualTo(2);
    }

    @Test
    void aDeviceThatClosesIdleConnectionsIsNeverAnOutage() throws Exception {
        DeviceSimulator sim = modbusDevice();
        DeviceConnectionFactory f = modbusPool("idler", sim, m -> { });
        try (DeviceConnection c = f.getConnection()) {
            assertThat(payload(c.request(mbap(1, "first"), TIMEOUT))).isEqualTo("first");
        }
        sim.idleCloseMs(500);
        await("five idle closes", () -> sim.idleCloses() >= 5, 15_000);
        assertThat(edges("idler")).as("no DROPPED/RESTORED for idle closes").isZero();
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.UP);
        try (DeviceConnection c = f.getConnection()) {
            assertThat(payload(c.request(mbap(2, "still fine"), TIMEOUT))).isEqualTo("still fine");
        }
    }

    // ---- 4. client limit

    @Test
    void aDeviceAtItsClientLimitStaysUpAndServesEveryCaller() throws Exception {
        DeviceSimulator sim = modbusDevice().clientLimit(1, DeviceSimulator.LimitAction.CLOSE);
        DeviceConnectionFactory f = modbusPool("single", sim, m -> m.setMaxConnectionsPerDevice(2));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    int failed = 0;
                    for (int i = 0; i < 100; i++) {
                        String mine = "t" + thread + " r" + i;
                        try (DeviceConnection c = f.getConnection()) {
                            if (payload(c.request(mbap(i, mine), TIMEOUT)).equals(mine)) {
                                ok++;
                            }
                        } catch (DeviceDownException e) {
                            failed++;
                        }
                    }
                    return new int[] {ok, failed};
                }));
            }
            int ok = 0;
            int failed = 0;
            for (Future<int[]> r : results) {
                int[] counts = r.get(60, TimeUnit.SECONDS);
                ok += counts[0];
                failed += counts[1];
            }
            assertThat(failed).as("calls failed with DeviceDownException").isZero();
            assertThat(ok).isEqualTo(400);
        } finally {
            pool.shutdownNow();
        }
        assertThat(edges("single")).isZero();
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.UP);
    }

    // ---- 5. request timeout and probe

    @Test
    void aRequestTimeoutAlwaysLeadsToAProbe() throws Exception {
        DeviceSimulator sim = modbusDevice();
        DeviceConnectionFactory f = modbusPool("hung", sim, m -> { });
        try (DeviceConnection c = f.getConnection()) {
            c.request(mbap(1, "warm up"), TIMEOUT);
        }
        sim.behave(Behaviour.HANG);
        for (int i = 0; i < 10; i++) {
            await("an idle connection", () -> sim.openConnections() >= 1, 3_000);
            long before = sim.connectionsAccepted();
            try (DeviceConnection c = f.getConnection()) {
                assertThatThrownBy(() -> c.request(mbap(2, "?"), Duration.ofMillis(200)))
                        .isInstanceOf(DeviceTimeoutException.class);
            }
            await("probe " + i + " after the timeout", () -> sim.connectionsAccepted() > before, 3_000);
        }
        assertThat(edges("hung")).isZero();
    }

    // ---- 6. every device watched

    @Test
    void aDeviceNobodyUsedIsWatchedAndItsDropIsAnnounced() throws Exception {
        DeviceSimulator sim = modbusDevice();
        DeviceConnectionFactory f = modbusPool("unused", sim, m -> { });
        f.devices(); // the pool is open; no application has asked for a connection
        await("a watched connection", () -> sim.openConnections() == 1, 3_000);
        sim.stop();
        await("DROPPED for a device nobody used", () -> adapter.events.changes().stream()
                .anyMatch(dropped("unused")), 5_000);
        assertThat(f.devices().get(0).state()).isEqualTo(DeviceState.DOWN);
    }

    @Test
    void aDeviceUnreachableWhenThePoolOpensIsDownWithADroppedNotice() throws Exception {
        DeviceSimulator sim = modbusDevice();
        sim.stop();
        DeviceConnectionFactory f = modbusPool("absent", sim, m -> { });
        await("DOWN", () -> f.devices().get(0).state() == DeviceState.DOWN, 5_000);
        var first = adapter.events.changes().stream().filter(c -> c.deviceId().equals("absent")).findFirst();
        assertThat(first).hasValueSatisfying(c -> {
            assertThat(c.kind()).isEqualTo(DeviceStateChange.Kind.DROPPED);
            assertThat(c.cause()).contains("refused");
        });
        assertThatThrownBy(() -> f.getConnection()).isInstanceOf(DeviceDownException.class);
    }

    @Test
    void afterAnAdapterRestartSubscribersLearnThatADeviceCameBack() throws Exception {
        DeviceSimulator sim = modbusDevice();
        sim.stop();
        modbusPool("back", sim, m -> { });
        var first = adapter.events.awaitFirstVerdict("back");
        assertThat(first.kind()).isEqualTo(DeviceStateChange.Kind.DROPPED); // what a subscriber saw last
        adapter.close();
        sim.startAgain(); // the device comes back while no adapter runs
        try (TestAdapter restarted = new TestAdapter()) {
            restarted.factory("back", sim, m -> {
                m.setFraming("LENGTH_FIELD");
                m.setLengthFieldOffset(4);
            });
            var verdict = restarted.events.awaitFirstVerdict("back");
            assertThat(verdict.kind()).isEqualTo(DeviceStateChange.Kind.RESTORED);
            assertThat(verdict.initial()).isTrue();
        }
    }
}
