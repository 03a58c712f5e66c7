package io.fieldlink.spi;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.metrics.DeviceMeter;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.ModbusRegisters;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.testsupport.TestAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several application connections' requests in flight at once on ONE connection to a Modbus TCP
 * device, each answer delivered to its own caller by transaction id; checked by content (every
 * register holds its own address) and by what the device saw.
 */
class PipeliningTest {

    private final TestAdapter adapter = new TestAdapter();
    private final DeviceSimulator gateway = DeviceSimulator.start(SimFraming.modbusTcp(), "127.0.0.1", 0, 1);
    private final ExecutorService callers = Executors.newFixedThreadPool(16);
    private DeviceManagedConnectionFactory mcf;

    @AfterEach
    void tearDown() {
        callers.shutdownNow();
        adapter.close();
        gateway.close();
    }

    private DeviceConnectionFactory modbusPool(Consumer<DeviceManagedConnectionFactory> tune) {
        return modbusPool(tune, 1);
    }

    private DeviceConnectionFactory modbusPool(Consumer<DeviceManagedConnectionFactory> tune, int clientLimit) {
        gateway.respondWith(new ModbusRegisters()).clientLimit(clientLimit, DeviceSimulator.LimitAction.CLOSE);
        mcf = adapter.mcf("gw", gateway, m -> {
            m.setFraming("LENGTH_FIELD");
            m.setLengthFieldOffset(4);
            m.setCorrelationIdOffset(0);
            m.setMaxConnectionsPerDevice(1);
            m.setMaxWaitMs(20_000);
            m.setRequestTimeoutMs(20_000);
            tune.accept(m);
        });
        return adapter.factory(mcf);
    }

    private DeviceMeter meter() throws Exception {
        return mcf.pool().device("gw").meter();
    }

    private static int read(DeviceConnectionFactory f, int address, Duration timeout) throws Exception {
        try (DeviceConnection c = f.getConnection()) {
            // the caller's own transaction id is the address: FieldLink puts its own on the wire
            int[] registers = ModbusRegisters.registers(c.request(
                    ModbusRegisters.readHoldingRegisters(address, 1, address, 1), timeout));
            return registers[0];
        }
    }

    @Test
    void eightCallersShareOneConnectionAndEachGetsItsOwnAnswer() throws Exception {
        // the gateway answers nothing until 8 requests wait on the connection, then all, newest
        // first: one request at a time would never be answered
        gateway.answerInBatches(8);
        DeviceConnectionFactory f = modbusPool(m -> { });
        for (int round = 0; round < 20; round++) {
            List<Future<Integer>> reads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int address = round * 8 + t;
                reads.add(callers.submit(() -> read(f, address, Duration.ofSeconds(20))));
            }
            for (int t = 0; t < 8; t++) {
                assertThat(reads.get(t).get(30, TimeUnit.SECONDS)).as("register %d", round * 8 + t)
                        .isEqualTo(round * 8 + t);
            }
        }
        assertThat(gateway.mostAwaitingAnswer()).as("requests the device had in flight at once").isGreaterThanOrEqualTo(8);
        assertThat(gateway.connectionsAccepted()).as("all of it on one connection").isEqualTo(1);
        assertNothingHeld();
    }

    @Test
    void manyCallersOnOneConnectionAreCappedAtMaxInFlightAndStillAllAnswered() throws Exception {
        gateway.behave(io.fieldlink.simulator.Behaviour.DELAY).delayMs(20);
        DeviceConnectionFactory f = modbusPool(m -> m.setMaxInFlightPerConnection(4));
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            int thread = t;
            workers.add(callers.submit(() -> {
                for (int i = 0; i < 25; i++) {
                    int address = thread * 1000 + i;
                    assertThat(read(f, address, Duration.ofSeconds(20))).isEqualTo(address);
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get(60, TimeUnit.SECONDS);
        }
        assertThat(gateway.mostAwaitingAnswer()).as("never more than maxInFlightPerConnection at the device")
                .isEqualTo(4);
        assertThat(gateway.connectionsAccepted()).isEqualTo(1);
        var jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        var device = new javax.management.ObjectName("io.fieldlink:type=Device,pool=gw,device=gw");
        assertThat(jmx.getAttribute(device, "MaxInFlightPerConnection")).isEqualTo(4);
        assertThat(jmx.getAttribute(device, "SharedRequestsInFlight")).isEqualTo(0);
        assertNothingHeld();
    }

    @Test
    void aDeviceListedAsOneAtATimeNeverHasTwoRequests() throws Exception {
        gateway.behave(io.fieldlink.simulator.Behaviour.DELAY).delayMs(5);
        DeviceConnectionFactory f = modbusPool(m -> m.setOneAtATimeDevices("gw"));
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            workers.add(callers.submit(() -> {
                for (int i = 0; i < 10; i++) {
                    int address = thread * 100 + i;
                    assertThat(read(f, address, Duration.ofSeconds(20))).isEqualTo(address);
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get(60, TimeUnit.SECONDS);
        }
        assertThat(gateway.mostAwaitingAnswer()).isEqualTo(1);
    }

    @Test
    void aRequestThatTimesOutWhileTheDeviceAnswersOthersFailsAloneAndItsLateAnswerReachesNobody() throws Exception {
        DeviceConnectionFactory f = modbusPool(m -> { });
        DeviceMeter meter = meter();
        assertThat(read(f, 7, Duration.ofSeconds(5))).isEqualTo(7);

        gateway.lateAnswers(1.0, 2_000); // the next request's answer comes 2 s late
        CompletableFuture<Throwable> slow = CompletableFuture.supplyAsync(() -> {
            try {
                read(f, 1, Duration.ofMillis(500));
                return null;
            } catch (Throwable e) {
                return e;
            }
        }, callers);
        long before = gateway.framesReceived();
        await(() -> gateway.framesReceived() > before);
        gateway.lateAnswers(0, 0);
        // meanwhile other callers' requests on the same connection are answered at once
        int address = 100;
        while (!slow.isDone()) {
            assertThat(read(f, address, Duration.ofSeconds(5))).isEqualTo(address);
            address++;
        }
        assertThat(slow.get()).isInstanceOf(DeviceTimeoutException.class);
        // the late answer arrives and is dropped by its id; the connection goes on
        await(() -> meter.framesDiscarded() >= 1);
        for (int i = 0; i < 20; i++) {
            assertThat(read(f, 500 + i, Duration.ofSeconds(5))).isEqualTo(500 + i);
        }
        assertThat(gateway.lateAnswersSent()).isEqualTo(1);
        assertThat(meter.unsolicitedFrames()).as("the late answer was nobody's").isZero();
        assertThat(gateway.connectionsAccepted()).as("a timeout on an answering connection costs no reconnect")
                .isEqualTo(1);
        assertNothingHeld();
    }

    @Test
    void aConnectionThatFallsSilentFailsEveryRequestOnIt() throws Exception {
        DeviceConnectionFactory f = modbusPool(m -> m.setRequestTimeoutMs(500));
        assertThat(read(f, 3, Duration.ofSeconds(5))).isEqualTo(3);
        gateway.behave(io.fieldlink.simulator.Behaviour.HANG);
        List<Future<Integer>> reads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int address = 10 + t;
            reads.add(callers.submit(() -> read(f, address, Duration.ofMillis(500))));
        }
        await(() -> gateway.framesReceived() >= 5); // all four went out on the one connection
        for (Future<Integer> r : reads) {
            // the first to time out finds the connection silent for requestTimeoutMs and fails it;
            // the others lose it under them, or time out themselves
            assertThatThrownBy(() -> r.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfAny(DeviceTimeoutException.class, io.fieldlink.api.ConnectionLostException.class);
        }
        gateway.behave(io.fieldlink.simulator.Behaviour.ECHO);
        // the silent connection was closed (a timeout with no other answer since the request went
        // out says the connection may be dead), and a new one serves the device
        await(() -> gateway.connectionsAccepted() >= 2);
        assertThat(read(f, 42, Duration.ofSeconds(5))).isEqualTo(42);
        assertNothingHeld();
    }

    @Test
    void aShortTimeoutBehindASlowRequestDoesNotFailTheSlowOne() throws Exception {
        // the device takes 1 s per answer; a caller with a 300 ms timeout gives up behind a caller
        // willing to wait: only its own request is given up, the connection and the other go on
        gateway.behave(io.fieldlink.simulator.Behaviour.DELAY).delayMs(1_000);
        DeviceConnectionFactory f = modbusPool(m -> m.setRequestTimeoutMs(5_000));
        Future<Integer> patient = callers.submit(() -> read(f, 11, Duration.ofSeconds(10)));
        await(() -> gateway.framesReceived() >= 1);
        assertThatThrownBy(() -> read(f, 12, Duration.ofMillis(300))).isInstanceOf(DeviceTimeoutException.class);
        assertThat(patient.get(10, TimeUnit.SECONDS)).isEqualTo(11);
        assertThat(gateway.connectionsAccepted()).isEqualTo(1);
        DeviceMeter meter = meter();
        await(() -> meter.framesDiscarded() >= 1); // 12's late answer, dropped by its id
        assertThat(meter.unsolicitedFrames()).isZero();
        assertNothingHeld();
    }

    @Test
    void aRequestGivenUpOnStillCountsAgainstTheConnectionsRequestsInFlight() throws Exception {
        // one request times out while the device still works on it: a connection limited to 4 in
        // flight then takes only 3 more until its late answer came (the device never has 5)
        DeviceConnectionFactory f = modbusPool(m -> m.setMaxInFlightPerConnection(4));
        assertThat(read(f, 1, Duration.ofSeconds(5))).isEqualTo(1);
        gateway.lateAnswers(1.0, 1_500);
        assertThatThrownBy(() -> read(f, 20, Duration.ofMillis(200))).isInstanceOf(DeviceTimeoutException.class);
        gateway.lateAnswers(0, 0).behave(io.fieldlink.simulator.Behaviour.DELAY).delayMs(300);
        List<Future<Integer>> reads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int address = 30 + t;
            reads.add(callers.submit(() -> read(f, address, Duration.ofSeconds(10))));
        }
        for (int t = 0; t < 4; t++) {
            assertThat(reads.get(t).get(20, TimeUnit.SECONDS)).isEqualTo(30 + t);
        }
        assertThat(gateway.mostAwaitingAnswer()).as("the given-up request and 3 others, never 5").isEqualTo(4);
        assertThat(gateway.connectionsAccepted()).isEqualTo(1);
        assertNothingHeld();
    }

    @Test
    void aConnectionWithHalfItsSlotsGivenUpIsReplacedNotLeftToLockCallersOut() throws Exception {
        // a gateway that stopped answering some requests for good (a dead unit behind it): their ids
        // would hold the connection's slots forever; at half of them it is replaced
        DeviceConnectionFactory f = modbusPool(m -> m.setMaxInFlightPerConnection(4), 2);
        assertThat(read(f, 1, Duration.ofSeconds(5))).isEqualTo(1);
        gateway.behave(io.fieldlink.simulator.Behaviour.HANG);
        for (int i = 0; i < 2; i++) {
            int address = 10 + i;
            // a caller's timeout shorter than requestTimeoutMs: given up, the connection is not failed for it
            Future<Integer> slow = callers.submit(() -> read(f, address, Duration.ofMillis(300)));
            assertThatThrownBy(() -> slow.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(DeviceTimeoutException.class);
        }
        gateway.behave(io.fieldlink.simulator.Behaviour.ECHO);
        await(() -> gateway.connectionsAccepted() >= 2);
        for (int i = 0; i < 20; i++) {
            assertThat(read(f, 100 + i, Duration.ofSeconds(5))).isEqualTo(100 + i);
        }
        assertNothingHeld();
    }

    @Test
    void anAnswerThatNeverCameDoesNotMakeALaterShortTimeoutLookLikeADeadConnection() throws Exception {
        // a request given up on whose answer never comes (a dead unit behind a gateway), then a
        // quiet spell longer than requestTimeoutMs: a later caller's short timeout behind a slow
        // answer is still that caller's alone
        DeviceConnectionFactory f = modbusPool(m -> m.setRequestTimeoutMs(1_000));
        assertThat(read(f, 1, Duration.ofSeconds(5))).isEqualTo(1);
        gateway.lateAnswers(1.0, 600_000);
        assertThatThrownBy(() -> read(f, 2, Duration.ofMillis(300))).isInstanceOf(DeviceTimeoutException.class);
        gateway.lateAnswers(0, 0);
        Thread.sleep(1_300); // the quiet spell (set-up, not an assertion): longer than requestTimeoutMs
        gateway.behave(io.fieldlink.simulator.Behaviour.DELAY).delayMs(700);
        long before = gateway.framesReceived();
        Future<Integer> patient = callers.submit(() -> read(f, 3, Duration.ofSeconds(5)));
        await(() -> gateway.framesReceived() > before);
        assertThatThrownBy(() -> read(f, 4, Duration.ofMillis(300))).isInstanceOf(DeviceTimeoutException.class);
        assertThat(patient.get(10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(gateway.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void anInterruptedCallerGivesUpOnlyItsOwnRequest() throws Exception {
        gateway.behave(io.fieldlink.simulator.Behaviour.DELAY).delayMs(500);
        DeviceConnectionFactory f = modbusPool(m -> { });
        Future<Integer> other = callers.submit(() -> read(f, 5, Duration.ofSeconds(10)));
        Future<Integer> interrupted = callers.submit(() -> read(f, 6, Duration.ofSeconds(10)));
        await(() -> gateway.framesReceived() >= 2);
        interrupted.cancel(true);
        assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo(5);
        assertThat(read(f, 7, Duration.ofSeconds(10))).isEqualTo(7);
        assertThat(gateway.connectionsAccepted()).isEqualTo(1);
        assertNothingHeld();
    }

    @Test
    void onAOneAtATimeDeviceATimeoutStillCostsTheConnection() throws Exception {
        // its late answer must not meet the next request at a device that takes one at a time
        gateway.behave(io.fieldlink.simulator.Behaviour.DELAY).delayMs(1_000);
        DeviceConnectionFactory f = modbusPool(m -> m.setOneAtATimeDevices("gw"));
        assertThatThrownBy(() -> read(f, 1, Duration.ofMillis(200))).isInstanceOf(DeviceTimeoutException.class);
        gateway.behave(io.fieldlink.simulator.Behaviour.ECHO);
        assertThat(read(f, 2, Duration.ofSeconds(10))).isEqualTo(2);
        assertThat(gateway.connectionsAccepted()).isEqualTo(2);
        assertThat(gateway.mostAwaitingAnswer()).isEqualTo(1);
    }

    @Test
    void requestsGoOnOverTheOtherConnectionWhileACallerWaitsForAWholeOne() throws Exception {
        // two connections, each carrying one request the gateway holds (it answers a connection's
        // requests only once 2 wait on it); a send()/receive() caller needs a whole connection and
        // waits; a request arriving behind it must not wait behind it: it joins the other connection
        DeviceConnectionFactory f = modbusPool(m -> {
            m.setMaxConnectionsPerDevice(2);
            m.setMinIdlePerDevice(2);
            m.setMaxInFlightPerConnection(2);
        }, 2);
        var gw = mcf.pool().device("gw");
        await(() -> gw.settledConnections() == 2);
        gateway.answerInBatches(2);
        Future<Integer> first = callers.submit(() -> read(f, 1, Duration.ofSeconds(20)));
        await(() -> gateway.framesReceived() >= 1);
        Future<Integer> second = callers.submit(() -> read(f, 2, Duration.ofSeconds(20)));
        await(() -> gateway.framesReceived() >= 2);
        assertThat(gw.status().connectionsInUse()).as("one request on each connection").isEqualTo(2);
        Future<Object> whole = callers.submit(() -> {
            try (DeviceConnection c = f.getConnection()) {
                c.send(ModbusRegisters.readHoldingRegisters(99, 1, 99, 1));
            }
            return null;
        });
        await(() -> gw.status().callersWaiting() == 1);
        // joins the connection not kept for the waiting caller: 2 wait there, the gateway answers both
        assertThat(read(f, 3, Duration.ofSeconds(20))).isEqualTo(3);
        whole.get(20, TimeUnit.SECONDS); // and the connection that drained went to the waiting caller
        gateway.answerInBatches(0); // the request still held on the other connection is answered now
        assertThat(read(f, 4, Duration.ofSeconds(20))).isEqualTo(4);
        int answered = 0;
        for (Future<Integer> r : List.of(first, second)) {
            answered += r.get(20, TimeUnit.SECONDS) > 0 ? 1 : 0;
        }
        assertThat(answered).isEqualTo(2);
        assertThat(first.get()).isEqualTo(1);
        assertThat(second.get()).isEqualTo(2);
    }

    /** Every slot and link given back: a slot that leaked would starve the device for good. */
    private void assertNothingHeld() throws Exception {
        var gw = mcf.pool().device("gw");
        assertThat(gw.sharedRequestsInFlight()).as("requests still counted in flight").isZero();
        assertThat(gw.status().connectionsInUse()).as("connections still counted in use").isZero();
        assertThat(gw.status().callersWaiting()).isZero();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(5);
        }
    }
}
