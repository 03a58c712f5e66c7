package io.fieldlink.fault;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.health.DeviceStateChange;
import io.fieldlink.notice.JmsTarget;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.testsupport.CablePuller;
import io.fieldlink.testsupport.EmbeddedBroker;
import io.fieldlink.testsupport.NoticeSubscriber;
import io.fieldlink.testsupport.NoticeSubscriber.Received;
import io.fieldlink.testsupport.RecordingListener;
import io.fieldlink.testsupport.TestAdapter;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pulls the cable of 20 devices at once (twice) and receives their DROPPED and RESTORED notices
 * from a real broker's topic: measures detection against the keepalive bound and the latency from
 * detection to the message, and writes the numbers to {@code target/notice-latency-results.md}.
 */
class NoticeCablePullIT {

    private static final Logger log = LoggerFactory.getLogger(NoticeCablePullIT.class);
    private static final int DEVICES = 20;
    private static final int ROUNDS = 2;
    private static final long BOUND_MS = 1_000 + 1_000 * 2; // keepalive 1 s idle + 1 s x 2 probes

    @Test
    void everyPulledCableBecomesOneDroppedAndOneRestoredMessage() throws Exception {
        List<DeviceSimulator> sims = new ArrayList<>();
        try (CablePuller cable = CablePuller.forTest("notices");
             EmbeddedBroker broker = new EmbeddedBroker();
             TestAdapter adapter = new TestAdapter(ra -> ra.setInstanceName("it"))) {
            adapter.ra.startNotices(JmsTarget.of(broker.plainFactory(), EmbeddedBroker.topic()));
            try (NoticeSubscriber topic = new NoticeSubscriber(broker.failoverFactory(), EmbeddedBroker.topic(),
                    "fieldlinkInitial = FALSE")) {
                Map<String, DeviceConnectionFactory> pools = new TreeMap<>();
                int[] ports = new int[DEVICES];
                for (int i = 0; i < DEVICES; i++) {
                    DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());
                    sims.add(sim);
                    ports[i] = sim.port();
                    pools.put("dev-" + i, adapter.factory("dev-" + i, sim, m -> {
                        m.setKeepAliveIdleSeconds(1);
                        m.setKeepAliveIntervalSeconds(1);
                        m.setKeepAliveCount(2);
                        m.setConnectTimeoutMs(1_000);
                        m.setReconnectInitialDelayMs(200);
                        m.setReconnectMaxDelayMs(1_000);
                    }));
                }
                List<Long> detectMs = new ArrayList<>();
                List<Long> noticeMs = new ArrayList<>();
                List<Long> boundToMessageMs = new ArrayList<>();
                List<Long> restoredNoticeMs = new ArrayList<>();
                for (int round = 1; round <= ROUNDS; round++) {
                    for (DeviceConnectionFactory f : pools.values()) {
                        try (DeviceConnection c = f.getConnection()) {
                            c.request("hi".getBytes(US_ASCII), Duration.ofSeconds(2));
                        }
                    }
                    Thread.sleep(1_500); // idle in the pool
                    int expected = round * DEVICES * 2;
                    long pulledAt = System.nanoTime();
                    cable.pull(ports);
                    int r = round;
                    assertThat(topic.await(got -> got.stream().filter(m -> m.event().equals("DROPPED")).count()
                            == (long) r * DEVICES, BOUND_MS + 5_000)).as("DROPPED for every device").isTrue();
                    cable.plugBack();
                    assertThat(topic.await(got -> got.size() == expected, 10_000)).as("RESTORED for every device").isTrue();

                    List<RecordingListener.Seen> changes = adapter.events.all();
                    List<Received> messages = topic.all();
                    for (Received m : messages.subList(expected - DEVICES * 2, expected)) {
                        RecordingListener.Seen change = changes.stream().filter(s -> s.change().sequence()
                                == m.body().getJsonNumber("sequence").longValue()).findFirst().orElseThrow();
                        long changeToMessage = (m.atNanos() - change.atNanos()) / 1_000;
                        if (change.change().kind() == DeviceStateChange.Kind.DROPPED) {
                            detectMs.add((change.atNanos() - pulledAt) / 1_000_000);
                            noticeMs.add(changeToMessage);
                            boundToMessageMs.add((m.atNanos() - pulledAt) / 1_000_000 - BOUND_MS);
                        } else {
                            restoredNoticeMs.add(changeToMessage);
                        }
                    }
                }
                List<Received> all = topic.all();
                assertThat(all).hasSize(ROUNDS * DEVICES * 2);
                assertThat(all.stream().map(Received::noticeId).distinct().count()).isEqualTo(all.size());
                for (String id : pools.keySet()) {
                    List<String> events = all.stream().filter(m -> m.device().equals(id)).map(Received::event).toList();
                    assertThat(events).containsExactly("DROPPED", "RESTORED", "DROPPED", "RESTORED");
                }
                assertThat(detectMs).allMatch(ms -> ms <= BOUND_MS + 1_000);

                List<String> lines = List.of(
                        "| measure (" + detectMs.size() + " drops: " + DEVICES + " devices x " + ROUNDS
                                + " pulls, keepalive 1/1/2, bound " + BOUND_MS + " ms) | median | max |",
                        "|---|---|---|",
                        "| pull -> DROPPED state change (detection) | " + median(detectMs) + " ms | " + max(detectMs) + " ms |",
                        "| DROPPED state change -> message received | " + median(noticeMs) + " us | " + max(noticeMs) + " us |",
                        "| configured bound -> DROPPED message (negative: before the bound) | " + median(boundToMessageMs)
                                + " ms | " + max(boundToMessageMs) + " ms |",
                        "| RESTORED state change -> message received | " + median(restoredNoticeMs) + " us | "
                                + max(restoredNoticeMs) + " us |");
                lines.forEach(l -> log.info("{}", l));
                Files.write(Path.of("target", "notice-latency-results.md"), lines);
            }
        } finally {
            sims.forEach(DeviceSimulator::close);
        }
    }

    private static long median(List<Long> values) {
        long[] v = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    private static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElseThrow();
    }
}
