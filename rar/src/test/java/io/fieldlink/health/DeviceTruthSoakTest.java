package io.fieldlink.health;

import io.fieldlink.api.DeviceBusyException;
import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceException;
import io.fieldlink.api.DeviceTimeoutException;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.testsupport.TestAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import static io.fieldlink.health.DeviceTruthTest.mbap;
import static io.fieldlink.health.DeviceTruthTest.payload;
import static io.fieldlink.testsupport.RecordingListener.dropped;
import static io.fieldlink.testsupport.RecordingListener.restored;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads through one pool against a device that misbehaves at random (stray frames, late
 * answers, idle closes, resets of every connection) and is switched off a known number of times:
 * every answer is checked by content, and the DROPPED notices must equal the outages injected.
 */
class DeviceTruthSoakTest {

    private static final Logger log = LoggerFactory.getLogger(DeviceTruthSoakTest.class);
    private static final int OUTAGES = 3;

    private final TestAdapter adapter = new TestAdapter();
    private final DeviceSimulator sim = DeviceSimulator.start(SimFraming.modbusTcp(), "127.0.0.1", 0, 2);

    @AfterEach
    void tearDown() {
        adapter.close();
        sim.close();
    }

    @ParameterizedTest(name = "{0} threads x {1} requests, correlation {2}")
    @CsvSource({"8, 10000, true", "8, 2500, false"})
    void everyAnswerIsItsOwnAndEveryDroppedIsARealOutage(int threads, int perThread, boolean correlation)
            throws Exception {
        // late answers come after the request timeout (400 ms); the device keeps at most 3 connections
        sim.seed(20261123)
                .strayFrames(0.01, r -> mbap(0xFFFF, "stray"))
                .lateAnswers(0.002, 500)
                .idleCloseMs(1_000);
        DeviceConnectionFactory f = adapter.factory("soak", sim, m -> {
            m.setFraming("LENGTH_FIELD");
            m.setLengthFieldOffset(4);
            m.setMaxConnectionsPerDevice(3);
            m.setReconnectInitialDelayMs(50);
            m.setReconnectMaxDelayMs(300);
            if (correlation) {
                m.setCorrelationIdOffset(0);
            }
        });
        LongAdder ok = new LongAdder();
        LongAdder wrong = new LongAdder();
        LongAdder down = new LongAdder();
        LongAdder timedOut = new LongAdder();
        LongAdder lost = new LongAdder();
        LongAdder busy = new LongAdder();
        LongAdder done = new LongAdder();
        List<RuntimeException> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        int total = threads * perThread;
        AtomicBoolean finished = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        long started = System.nanoTime();
        int resets = 0;
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        String mine = "t" + thread + " r" + i;
                        int tid = (thread * perThread + i) & 0x7FFF;
                        try (DeviceConnection c = f.getConnection()) {
                            byte[] answer = c.request(mbap(tid, mine), Duration.ofMillis(400));
                            boolean own = payload(answer).equals(mine)
                                    && (!correlation || ByteBuffer.wrap(answer).getShort(0) == (short) tid);
                            (own ? ok : wrong).increment();
                        } catch (DeviceDownException e) {
                            down.increment();
                            sleepQuietly(10); // what an application does: try again a little later
                        } catch (DeviceTimeoutException e) {
                            timedOut.increment();
                        } catch (DeviceBusyException e) {
                            busy.increment();
                        } catch (DeviceException e) {
                            lost.increment(); // a reset or a DOWN closed the connection under the request
                        } catch (RuntimeException e) {
                            unexpected.add(e); // a bug: reported below, and the run goes on
                        }
                        done.increment();
                    }
                    return null;
                }));
            }
            // the chaos: every connection reset now and then, and OUTAGES real outages spread over the run
            int outages = 0;
            while (done.sum() < total && !workers.stream().allMatch(Future::isDone)) {
                if (outages < OUTAGES && done.sum() >= (long) total * (outages + 1) / (OUTAGES + 1)) {
                    outages++;
                    int n = outages;
                    sim.stop();
                    awaitCount(() -> adapter.events.changes().stream().filter(dropped("soak")).count() >= n, 5_000);
                    Thread.sleep(300); // the fail-fast phase
                    sim.startAgain();
                    awaitCount(() -> adapter.events.changes().stream().filter(restored("soak")).count() >= n, 5_000);
                } else {
                    Thread.sleep(1_500);
                    sim.resetAll();
                    resets++;
                }
            }
            for (Future<?> w : workers) {
                w.get(5, TimeUnit.MINUTES);
            }
            finished.set(true);
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long drops = adapter.events.changes().stream().filter(dropped("soak")).count();
        long restores = adapter.events.changes().stream().filter(restored("soak")).count();
        String line = String.format("| %d x %d, correlation %s | %d | %d | %d | %d / %d | %d | %d | %d | %d | %d | %d | %d | %.1f s |",
                threads, perThread, correlation ? "on (pipelined)" : "off", ok.sum(), wrong.sum(), down.sum(), timedOut.sum(),
                sim.lateAnswersSent(), lost.sum(), busy.sum(), sim.strayFramesSent(), sim.idleCloses(), resets,
                drops, sim.mostAwaitingAnswer(), seconds);
        log.info("soak: {} (expected DROPPED {})", line, OUTAGES);
        Path results = Path.of("target", "soak-results.md");
        if (!Files.exists(results)) {
            Files.writeString(results, "| run | own answers | wrong answers | DeviceDown (fail-fast) | timeouts / late answers still written (the rest met a closed connection)"
                    + " | connection lost | busy | stray frames | idle closes | resets | DROPPED (injected: " + OUTAGES
                    + ") | most requests in flight on one connection | time |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        }
        Files.writeString(results, line + "\n", StandardOpenOption.APPEND);

        assertThat(finished).isTrue();
        assertThat(unexpected).as("unchecked exceptions out of request()").isEmpty();
        assertThat(wrong.sum()).as("answers that were not the request's own").isZero();
        assertThat(drops).as("DROPPED notices vs real outages injected").isEqualTo(OUTAGES);
        assertThat(restores).isEqualTo(OUTAGES);
        assertThat(busy.sum()).as("callers refused while the device was healthy").isZero();
        assertThat(ok.sum()).isGreaterThan(total * 9L / 10);
        if (correlation) {
            // 8 callers, at most 3 connections: with correlation their requests share connections
            assertThat(sim.mostAwaitingAnswer()).as("requests in flight together on one connection").isGreaterThan(1);
        } else {
            assertThat(sim.mostAwaitingAnswer()).as("without correlation one at a time").isEqualTo(1);
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitCount(java.util.function.BooleanSupplier condition, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeoutMs + " ms");
            }
            Thread.sleep(5);
        }
    }
}
