package io.fieldlink.notice;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.FieldLinkResourceAdapter;
import io.fieldlink.testsupport.EmbeddedBroker;
import io.fieldlink.testsupport.MapContextFactory;
import io.fieldlink.testsupport.NoticeSubscriber;
import io.fieldlink.testsupport.NoticeSubscriber.Received;
import io.fieldlink.testsupport.TestAdapter;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static io.fieldlink.testsupport.RecordingListener.dropped;
import static io.fieldlink.testsupport.RecordingListener.restored;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Notices over a real ActiveMQ broker: schema, selectors, one per edge, order, outages, overflow. */
class NoticePublisherTest {

    private EmbeddedBroker broker;
    private TestAdapter adapter;
    private final List<DeviceSimulator> sims = new ArrayList<>();
    private final List<NoticeSubscriber> subscribers = new ArrayList<>();

    @BeforeEach
    void startBroker() throws Exception {
        broker = new EmbeddedBroker();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (adapter != null) {
            adapter.close();
        }
        for (NoticeSubscriber s : subscribers) {
            s.close();
        }
        sims.forEach(DeviceSimulator::close);
        broker.close();
        System.clearProperty("java.naming.factory.initial");
        MapContextFactory.reset();
    }

    private void startAdapter(Consumer<FieldLinkResourceAdapter> configure) {
        adapter = new TestAdapter(ra -> {
            ra.setInstanceName("test-instance");
            configure.accept(ra);
        });
        adapter.ra.startNotices(JmsTarget.of(broker.plainFactory(), EmbeddedBroker.topic()));
    }

    /** A subscriber to the real edges (first verdicts after start are left out, see firstVerdicts...). */
    private NoticeSubscriber subscribe(String selector) throws Exception {
        String edges = "fieldlinkInitial = FALSE";
        NoticeSubscriber s = new NoticeSubscriber(broker.failoverFactory(), EmbeddedBroker.topic(),
                selector == null ? edges : "(" + selector + ") AND " + edges);
        subscribers.add(s);
        return s;
    }

    private DeviceSimulator device() {
        DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());
        sims.add(sim);
        return sim;
    }

    private static void use(DeviceConnectionFactory f) throws Exception {
        try (DeviceConnection c = f.getConnection()) {
            c.request("x".getBytes(US_ASCII), Duration.ofSeconds(2));
        }
    }

    /** Waits until each device's first verdict after start went out to the broker. */
    private void firstVerdictsSent(String... ids) throws Exception {
        for (String id : ids) {
            adapter.events.awaitFirstVerdict(id);
        }
        eventually(() -> adapter.ra.noticeStats().sent() == ids.length);
    }

    /** Switches the device off and on again, waiting for both edges; returns after RESTORED. */
    private void flap(String id, DeviceSimulator sim, DeviceConnectionFactory f, int n) throws Exception {
        adapter.events.awaitFirstVerdict(id);
        use(f);
        sim.stop();
        assertThat(adapter.events.await(c -> adapter.events.changes().stream().filter(dropped(id)).count() == n,
                5_000)).isNotNull();
        sim.startAgain();
        assertThat(adapter.events.await(c -> adapter.events.changes().stream().filter(restored(id)).count() == n,
                5_000)).isNotNull();
    }

    @Test
    void noticesCarryTheSchemaAndSelectorPropertiesAndAStableId() throws Exception {
        startAdapter(ra -> { });
        NoticeSubscriber all = subscribe(null);
        NoticeSubscriber dropsOfPlc = subscribe("fieldlinkEvent = 'DROPPED' AND fieldlinkDevice = 'plc'");
        DeviceSimulator sim = device();
        DeviceConnectionFactory f = adapter.factory("plc", sim, m -> m.setPoolName("plcs"));
        flap("plc", sim, f, 1);

        assertThat(all.await(r -> r.size() == 2, 5_000)).isTrue();
        assertThat(dropsOfPlc.await(r -> r.size() == 1, 5_000)).isTrue();
        Received drop = all.all().get(0);
        Received restore = all.all().get(1);
        assertThat(drop.event()).isEqualTo("DROPPED");
        assertThat(restore.event()).isEqualTo("RESTORED");
        assertThat(dropsOfPlc.all().get(0).noticeId()).isEqualTo(drop.noticeId());
        for (Received r : List.of(drop, restore)) {
            JsonObject b = r.body();
            assertThat(b.keySet()).containsExactlyInAnyOrder("id", "event", "deviceId", "address", "pool", "cause",
                    "downSince", "downtimeMs", "reconnectAttempts", "connectionsAffected", "instance", "sequence",
                    "timestamp", "initial");
            assertThat(b.getString("id")).isEqualTo(r.noticeId()).isEqualTo(r.correlationId())
                    .startsWith("test-instance/");
            assertThat(b.getString("deviceId")).isEqualTo("plc").isEqualTo(r.device());
            assertThat(b.getString("address")).isEqualTo("127.0.0.1:" + sim.port());
            assertThat(b.getString("pool")).isEqualTo("plcs");
            assertThat(b.getString("instance")).isEqualTo("test-instance");
            assertThat(b.getString("cause")).contains("refused");
        }
        assertThat(drop.body().getInt("connectionsAffected")).isEqualTo(1);
        assertThat(restore.body().getJsonNumber("downtimeMs").longValue()).isPositive();
        assertThat(restore.body().getInt("reconnectAttempts")).isPositive();
        assertThat(restore.body().getString("downSince")).isEqualTo(drop.body().getString("downSince"));
        assertThat(restore.body().getJsonNumber("sequence").longValue())
                .isGreaterThan(drop.body().getJsonNumber("sequence").longValue());
    }

    @Test
    void aFlappingDeviceGivesOneNoticePerEdgeInOrder() throws Exception {
        startAdapter(ra -> { });
        NoticeSubscriber all = subscribe(null);
        DeviceSimulator sim = device();
        DeviceConnectionFactory f = adapter.factory("flappy", sim, m -> { });
        for (int i = 1; i <= 5; i++) {
            flap("flappy", sim, f, i);
        }
        assertThat(all.await(r -> r.size() >= 10, 5_000)).isTrue();
        Thread.sleep(200); // nothing more may come
        List<Received> got = all.all();
        assertThat(got).hasSize(10);
        for (int i = 0; i < got.size(); i++) {
            assertThat(got.get(i).event()).isEqualTo(i % 2 == 0 ? "DROPPED" : "RESTORED");
        }
        assertInOrderWithoutDuplicates(got);
    }

    @Test
    void aBrokerOutageDelaysNoticesButLosesNoneAndKeepsTheirOrder() throws Exception {
        startAdapter(ra -> ra.setNoticeRetryMaxDelayMs(500));
        NoticeSubscriber all = subscribe(null);
        Map<String, DeviceSimulator> devices = Map.of("d1", device(), "d2", device(), "d3", device());
        Map<String, DeviceConnectionFactory> pools = devices.entrySet().stream().collect(Collectors.toMap(
                Map.Entry::getKey, e -> adapter.factory(e.getKey(), e.getValue(), m -> { })));
        firstVerdictsSent("d1", "d2", "d3");

        broker.stop();
        for (int round = 1; round <= 2; round++) {
            for (String id : List.of("d1", "d2", "d3")) {
                flap(id, devices.get(id), pools.get(id), round);
            }
        }
        eventually(() -> adapter.ra.noticeStats().pending() == 12);
        assertThat(all.all()).isEmpty();
        broker.start();

        assertThat(all.await(r -> r.size() >= 12, 15_000)).as("all 12 notices after the outage").isTrue();
        Thread.sleep(300);
        List<Received> got = all.all();
        assertThat(got).hasSize(12);
        assertInOrderWithoutDuplicates(got);
        for (String id : devices.keySet()) {
            assertThat(got.stream().filter(r -> r.device().equals(id)).map(Received::event).toList())
                    .containsExactly("DROPPED", "RESTORED", "DROPPED", "RESTORED");
        }
        NoticeStats stats = adapter.ra.noticeStats();
        assertThat(stats.sent()).isEqualTo(3 + 12);
        assertThat(stats.dropped()).isZero();
        assertThat(stats.pending()).isZero();
        assertThat(stats.failedAttempts()).isPositive();
    }

    @Test
    void outboxOverflowIsCountedShownInTheHealthViewAndKeepsTheNewest() throws Exception {
        startAdapter(ra -> {
            ra.setNoticeOutboxSize(4);
            ra.setNoticeRetryMaxDelayMs(300);
        });
        NoticeSubscriber all = subscribe(null);
        DeviceSimulator sim = device();
        DeviceConnectionFactory f = adapter.factory("over", sim, m -> { });
        firstVerdictsSent("over");
        broker.stop();
        for (int i = 1; i <= 5; i++) {
            flap("over", sim, f, i);
        }
        eventually(() -> adapter.ra.noticeStats().dropped() == 6);
        NoticeStats stats = adapter.ra.noticeStats();
        assertThat(stats.dropped()).isEqualTo(6);
        assertThat(stats.pending()).isEqualTo(4);
        assertThat(f.devices().get(0).noticesDropped()).isEqualTo(6);

        broker.start();
        assertThat(all.await(r -> r.size() >= 4, 15_000)).isTrue();
        Thread.sleep(300);
        List<Received> got = all.all();
        assertThat(got).hasSize(4);
        List<Long> lastFour = adapter.events.edges().stream().skip(6).map(c -> c.sequence()).toList();
        assertThat(got.stream().map(r -> r.body().getJsonNumber("sequence").longValue()).toList()).isEqualTo(lastFour);
    }

    @Test
    void stoppingWhileTheBrokerIsDownGivesUpWithinTheFlushTimeout() throws Exception {
        startAdapter(ra -> ra.setNoticeFlushTimeoutMs(500));
        DeviceSimulator sim = device();
        DeviceConnectionFactory f = adapter.factory("late", sim, m -> { });
        broker.stop();
        flap("late", sim, f, 1);
        long t = System.nanoTime();
        adapter.close();
        adapter = null;
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofMillis(500 + 2_000));
        assertThat(io.fieldlink.testsupport.Threads.awaitGone("fieldlink", 3_000)).isEmpty();
    }

    @Test
    void theAdapterFindsItsJmsResourcesInJndi() throws Exception {
        System.setProperty("java.naming.factory.initial", MapContextFactory.class.getName());
        MapContextFactory.BINDINGS.put(FieldLinkResourceAdapter.DEFAULT_NOTICE_CONNECTION_FACTORY, broker.plainFactory());
        MapContextFactory.BINDINGS.put(FieldLinkResourceAdapter.DEFAULT_NOTICE_TOPIC, EmbeddedBroker.topic());
        adapter = new TestAdapter();
        assertThat(adapter.ra.noticeStats().enabled()).isTrue();
        assertThat(adapter.ra.noticeStats().target()).isEqualTo("jms/fieldlink/noticeFactory -> jms/fieldlink/notices");
        eventually(() -> adapter.ra.noticeStats().state() == NoticeStats.State.ACTIVE);
        NoticeSubscriber all = subscribe(null);
        DeviceSimulator sim = device();
        flap("jndi", sim, adapter.factory("jndi", sim, m -> { }), 1);
        assertThat(all.await(r -> r.size() == 2, 5_000)).isTrue();
    }

    @Test
    void noneSwitchesNoticesOffAndHalfOfItIsAnError() throws Exception {
        adapter = new TestAdapter(ra -> {
            ra.setNoticeConnectionFactory("none");
            ra.setNoticeTopic("NONE");
        });
        assertThat(adapter.ra.noticeStats().state()).isEqualTo(NoticeStats.State.DISABLED);
        assertThat(adapter.ra.noticeStats().detail()).contains("set to none");

        FieldLinkResourceAdapter half = new FieldLinkResourceAdapter();
        half.setNoticeTopic("none");
        assertThatThrownBy(() -> half.start(null)).hasMessageContaining("notices misconfigured")
                .hasMessageContaining("set both to none to disable notices");
    }

    /** The publisher runs after the recording listener on the health thread: give it a moment. */
    private static void eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(condition.getAsBoolean()).as("condition within 2 s").isTrue();
    }

    /** Sequence numbers strictly increase (so per-device order holds) and no notice id repeats. */
    private static void assertInOrderWithoutDuplicates(List<Received> got) {
        Set<String> ids = new HashSet<>();
        long last = -1;
        for (Received r : got) {
            assertThat(ids.add(r.noticeId())).as("duplicate " + r.noticeId()).isTrue();
            long seq = r.body().getJsonNumber("sequence").longValue();
            assertThat(seq).isGreaterThan(last);
            last = seq;
        }
    }
}
