package io.fieldlink.notice;

import io.fieldlink.api.DeviceConnection;
import io.fieldlink.api.DeviceConnectionFactory;
import io.fieldlink.health.DeviceStateChange;
import io.fieldlink.notice.NoticeStats.State;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.FieldLinkResourceAdapter;
import io.fieldlink.testsupport.EmbeddedBroker;
import io.fieldlink.testsupport.LogRecords;
import io.fieldlink.testsupport.MapContextFactory;
import io.fieldlink.testsupport.NoticeSubscriber;
import io.fieldlink.testsupport.NoticeSubscriber.Received;
import io.fieldlink.testsupport.TestAdapter;
import io.fieldlink.testsupport.Threads;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.naming.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static io.fieldlink.testsupport.RecordingListener.dropped;
import static io.fieldlink.testsupport.RecordingListener.restored;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The JMS notice resources are found whenever they are bound: before the adapter starts, after it
 * (deployment order, parallel deployment), or again after they disappeared (a redeployed JMS
 * provider). Until then notices wait in the outbox; nothing is lost and the order holds.
 */
class NoticeResourceLookupTest {

    private static final String CF = FieldLinkResourceAdapter.DEFAULT_NOTICE_CONNECTION_FACTORY;
    private static final String TOPIC = FieldLinkResourceAdapter.DEFAULT_NOTICE_TOPIC;
    private static final Duration WAIT = Duration.ofSeconds(15);

    private EmbeddedBroker broker;
    private TestAdapter adapter;
    private final List<DeviceSimulator> sims = new ArrayList<>();
    private final List<NoticeSubscriber> subscribers = new ArrayList<>();
    private LogRecords noticeLog;

    @BeforeEach
    void setUp() throws Exception {
        broker = new EmbeddedBroker();
        System.setProperty(Context.INITIAL_CONTEXT_FACTORY, MapContextFactory.class.getName());
        MapContextFactory.reset();
        noticeLog = LogRecords.of("io.fieldlink.notice");
    }

    @AfterEach
    void tearDown() throws Exception {
        MapContextFactory.reset(); // opens the gate first: nothing stays blocked in a lookup
        if (adapter != null) {
            adapter.close();
        }
        for (NoticeSubscriber s : subscribers) {
            s.close();
        }
        sims.forEach(DeviceSimulator::close);
        broker.close();
        System.clearProperty(Context.INITIAL_CONTEXT_FACTORY);
        noticeLog.close();
    }

    /** The messages logged at {@code level} by the notice package that contain {@code text} (slf4j formats them). */
    private List<String> logged(Level level, String text) {
        return noticeLog.messages(level, text);
    }

    private NoticeStats stats() {
        return adapter.ra.noticeStats();
    }

    /** An adapter with the default JNDI names, retrying every 100 ms at most. */
    private TestAdapter startAdapter() {
        return new TestAdapter(ra -> {
            ra.setInstanceName("lookup-test");
            ra.setNoticeRetryMaxDelayMs(100);
        });
    }

    /** A durable subscriber to every notice, first verdicts included. */
    private NoticeSubscriber subscribe() throws Exception {
        NoticeSubscriber s = new NoticeSubscriber(broker.failoverFactory(), EmbeddedBroker.topic(), null);
        subscribers.add(s);
        return s;
    }

    /** A simulated device and the adapter's pool for it. */
    private record Device(String id, DeviceSimulator sim, DeviceConnectionFactory factory) {
    }

    /** A device whose first verdict (a notice too) has been given. */
    private Device device(String id) throws InterruptedException {
        DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());
        sims.add(sim);
        Device d = new Device(id, sim, adapter.factory(id, sim, m -> { }));
        adapter.events.awaitFirstVerdict(id);
        return d;
    }

    /** Switches the device off and on again, waiting for its n-th DROPPED and RESTORED edges. */
    private void flap(Device d, int n) throws Exception {
        String id = d.id();
        DeviceSimulator sim = d.sim();
        try (DeviceConnection c = d.factory().getConnection()) {
            c.request("x".getBytes(US_ASCII), Duration.ofSeconds(2));
        }
        sim.stop();
        assertThat(adapter.events.await(c -> count(id, true) == n, 5_000)).isNotNull();
        sim.startAgain();
        assertThat(adapter.events.await(c -> count(id, false) == n, 5_000)).isNotNull();
    }

    private long count(String id, boolean drops) {
        return adapter.events.changes().stream().filter(drops ? dropped(id) : restored(id)).count();
    }

    private static void bindBoth(ConnectionFactory factory) {
        MapContextFactory.BINDINGS.put(CF, factory);
        MapContextFactory.BINDINGS.put(TOPIC, EmbeddedBroker.topic());
    }

    /** What the subscriber received is exactly what the adapter saw, in order, once each. */
    private void assertDeliveredInOrder(NoticeSubscriber all) {
        List<Long> expected = adapter.events.changes().stream().map(DeviceStateChange::sequence).toList();
        await().atMost(WAIT).until(() -> all.all().size() >= expected.size());
        assertThat(all.all().stream().map(r -> r.body().getJsonNumber("sequence").longValue()).toList())
                .isEqualTo(expected);
        assertThat(all.all().stream().map(Received::noticeId).distinct().count()).isEqualTo(expected.size());
    }

    @Test
    void neitherNameBoundAtStartNoticesWaitAndAreAllDeliveredInOrderOnceBound() throws Exception {
        adapter = startAdapter(); // nothing bound: must start anyway
        assertThat(stats().state()).isEqualTo(State.WAITING_FOR_JNDI);
        assertThat(stats().enabled()).isTrue();
        NoticeSubscriber all = subscribe();
        Device late = device("late");
        flap(late, 1);
        flap(late, 2);
        int edges = adapter.events.changes().size(); // first verdict + 4 edges
        assertThat(edges).isEqualTo(5);
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().pending() == edges);
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().failedAttempts() >= 5);
        assertThat(all.all()).isEmpty();
        NoticeStats waiting = stats();
        assertThat(waiting.state()).isEqualTo(State.WAITING_FOR_JNDI);
        assertThat(waiting.detail()).contains("neither noticeConnectionFactory='" + CF + "' nor noticeTopic='" + TOPIC
                + "' is bound in JNDI");
        // one WARN saying what is missing and that it retries, however often it looked
        List<String> warnings = logged(Level.WARNING, "FieldLink notices");
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("waiting for JNDI", "noticeConnectionFactory='" + CF + "'",
                "noticeTopic='" + TOPIC + "'", "looked up again with backoff");

        bindBoth(broker.plainFactory());

        assertDeliveredInOrder(all);
        NoticeStats stats = stats();
        assertThat(stats.state()).isEqualTo(State.ACTIVE);
        assertThat(stats.sent()).isEqualTo(edges);
        assertThat(stats.pending()).isZero();
        assertThat(stats.dropped()).isZero();
        assertThat(logged(Level.INFO, "FieldLink notices go to " + CF + " -> " + TOPIC)).hasSize(1)
                .allSatisfy(m -> assertThat(m).contains("found in JNDI after"));
        assertThat(logged(Level.WARNING, "FieldLink notices")).hasSize(1);
        // every lookup on the publisher's own thread, an adapter thread
        assertThat(MapContextFactory.LOOKUP_THREADS).containsExactly("fieldlink-notices");
        Thread publisher = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("fieldlink-notices")).findFirst().orElseThrow();
        assertThat(publisher.getContextClassLoader()).isSameAs(FieldLinkResourceAdapter.class.getClassLoader());
        assertThat(publisher.isDaemon()).isTrue();
    }

    @Test
    void aHangingNamingServiceHoldsUpNeitherTheStartNorTheHealthThread() throws Exception {
        bindBoth(broker.plainFactory());
        MapContextFactory.gate = new CountDownLatch(1);
        adapter = assertTimeoutPreemptively(Duration.ofSeconds(5), this::startAdapter);
        NoticeSubscriber all = subscribe();
        Device d = device("busy"); // its first verdict came through the health thread
        flap(d, 1);
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().pending() == 3);
        assertThat(stats().state()).isEqualTo(State.WAITING_FOR_JNDI);
        assertThat(MapContextFactory.LOOKUP_THREADS).containsExactly("fieldlink-notices");

        MapContextFactory.gate.countDown();

        assertDeliveredInOrder(all);
        assertThat(stats().state()).isEqualTo(State.ACTIVE);
    }

    @Test
    void onlyOneNameBoundTheAdapterStartsAndDeliversOnceTheOtherIsBound() throws Exception {
        MapContextFactory.BINDINGS.put(CF, broker.plainFactory());
        adapter = startAdapter(); // half bound: an ordering issue, not a reason to fail the deployment
        NoticeSubscriber all = subscribe();
        Device half = device("half");
        flap(half, 1);
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().pending() == 3);
        assertThat(stats().state()).isEqualTo(State.WAITING_FOR_JNDI);
        assertThat(stats().detail()).contains("noticeTopic='" + TOPIC + "' is not bound in JNDI");
        assertThat(logged(Level.WARNING, "FieldLink notices are waiting for JNDI: noticeTopic='" + TOPIC
                + "' is not bound")).hasSize(1);

        MapContextFactory.BINDINGS.put(TOPIC, EmbeddedBroker.topic());

        assertDeliveredInOrder(all);
        assertThat(stats().sent()).isEqualTo(3);
        assertThat(stats().state()).isEqualTo(State.ACTIVE);
    }

    @Test
    void aResourceThatDisappearsIsLookedUpAgainAndNothingIsLost() throws Exception {
        Redeployable first = new Redeployable(broker.plainFactory());
        bindBoth(first);
        adapter = startAdapter();
        NoticeSubscriber all = subscribe();
        Device d = device("redeploy");
        flap(d, 1);
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().sent() == 3);
        assertThat(stats().state()).isEqualTo(State.ACTIVE);
        assertThat(logged(Level.INFO, "FieldLink notices go to " + CF + " -> " + TOPIC)).hasSize(1);
        assertThat(logged(Level.WARNING, "FieldLink notices")).isEmpty();

        // the JMS provider is undeployed: its names go, its old factory is dead
        MapContextFactory.BINDINGS.clear();
        first.undeploy();
        flap(d, 2);
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().pending() == 2);
        // the send fails on the dead factory; it is forgotten and both names looked up again
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().state() == State.WAITING_FOR_JNDI);
        long failed = adapter.ra.noticeStats().failedAttempts();
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().failedAttempts() >= failed + 3);
        assertThat(stats().detail()).contains("neither noticeConnectionFactory='" + CF + "'");
        assertThat(stats().lastError()).contains("neither noticeConnectionFactory='" + CF + "'");
        assertThat(logged(Level.WARNING, "Cannot publish notices")).hasSize(1)
                .allSatisfy(m -> assertThat(m).contains("undeployed"));
        assertThat(logged(Level.WARNING, "FieldLink notices are waiting for JNDI")).hasSize(1);

        // ... and deployed again: new objects under the same names
        Redeployable second = new Redeployable(broker.plainFactory());
        bindBoth(second);

        assertDeliveredInOrder(all);
        assertThat(second.connections.get()).as("the new factory was looked up and used").isPositive();
        NoticeStats stats = stats();
        assertThat(stats.state()).isEqualTo(State.ACTIVE);
        assertThat(stats.sent()).isEqualTo(5);
        assertThat(stats.pending()).isZero();
        assertThat(stats.dropped()).isZero();
        assertThat(logged(Level.INFO, "FieldLink notices go to " + CF + " -> " + TOPIC + ": found in JNDI after"))
                .hasSize(1);
    }

    @Test
    void aNameBoundToTheWrongKindOfObjectIsReportedAndLookedUpAgain() throws Exception {
        MapContextFactory.BINDINGS.put(CF, broker.plainFactory());
        MapContextFactory.BINDINGS.put(TOPIC, "not a topic");
        adapter = startAdapter();
        NoticeSubscriber all = subscribe();
        device("typo");
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().pending() == 1);
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().failedAttempts() >= 2);
        assertThat(stats().state()).isEqualTo(State.WAITING_FOR_JNDI);
        assertThat(stats().detail())
                .contains("noticeTopic='" + TOPIC + "' is a java.lang.String, not a jakarta.jms.Topic");

        MapContextFactory.BINDINGS.put(TOPIC, EmbeddedBroker.topic());

        assertDeliveredInOrder(all);
        assertThat(stats().state()).isEqualTo(State.ACTIVE);
    }

    /**
     * JNDI was there when the adapter started and is not on the publisher's thread: not expected in
     * a server (see JndiJmsTarget.noJndi), and if it happens, notices wait and say so, never off.
     */
    @Test
    void noInitialContextAfterStartIsRetriedNotTakenForStandaloneUse() throws Exception {
        adapter = startAdapter();
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().failedAttempts() >= 1);
        System.clearProperty(Context.INITIAL_CONTEXT_FACTORY);
        NoticeSubscriber all = subscribe();
        device("nojndi");
        long failed = stats().failedAttempts();
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().failedAttempts() >= failed + 2);
        assertThat(stats().state()).isEqualTo(State.WAITING_FOR_JNDI);
        assertThat(stats().detail()).contains("NoInitialContextException");

        bindBoth(broker.plainFactory());
        System.setProperty(Context.INITIAL_CONTEXT_FACTORY, MapContextFactory.class.getName());

        assertDeliveredInOrder(all);
        assertThat(stats().state()).isEqualTo(State.ACTIVE);
    }

    @Test
    void withoutAnyJndiNoticesAreDisabledAndSaySo() throws Exception {
        System.clearProperty(Context.INITIAL_CONTEXT_FACTORY);
        adapter = startAdapter();
        NoticeStats stats = stats();
        assertThat(stats.state()).isEqualTo(State.DISABLED);
        assertThat(stats.enabled()).isFalse();
        assertThat(stats.detail()).contains("no JNDI in this environment");
        assertThat(Threads.named("fieldlink-notices")).isEmpty();
        // standalone users send notices wherever they like
        adapter.ra.startNotices(JmsTarget.of(broker.plainFactory(), EmbeddedBroker.topic()));
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().state() == State.ACTIVE);
    }

    @Test
    void stoppingWhileWaitingForJndiEndsWithinTheFlushTimeoutAndLogsWhatIsLeft() throws Exception {
        adapter = new TestAdapter(ra -> {
            ra.setNoticeRetryMaxDelayMs(100);
            ra.setNoticeFlushTimeoutMs(300);
        });
        device("never");
        await().atMost(WAIT).until(() -> adapter.ra.noticeStats().pending() == 1);
        long t = System.nanoTime();
        adapter.close();
        adapter = null;
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofMillis(300 + 2_000));
        assertThat(Threads.awaitGone("fieldlink", 3_000)).isEmpty();
        assertThat(logged(Level.SEVERE, "undelivered notice")).hasSize(1);
    }

    /**
     * JMS resources that were never deployed (the adapter's default names on a server without
     * them): the stop neither waits for a flush that cannot succeed nor writes one log line per
     * waiting notice without bound.
     */
    @Test
    void stoppingWithResourcesNeverFoundDoesNotWaitForTheFlushAndBoundsItsLog() {
        JmsTarget never = new JmsTarget() {
            @Override
            public void resolve() throws Exception {
                throw new javax.naming.NameNotFoundException("jms/fieldlink/notices is not bound");
            }

            @Override
            public ConnectionFactory connectionFactory() {
                throw new IllegalStateException("never resolved");
            }

            @Override
            public jakarta.jms.Topic topic() {
                throw new IllegalStateException("never resolved");
            }

            @Override
            public String describe() {
                return "jms/fieldlink/noticeFactory -> jms/fieldlink/notices";
            }
        };
        NoticePublisher p = new NoticePublisher(never, new NoticeFormat("never", 1L), new NoticeOutbox(1_000),
                new io.fieldlink.health.ReconnectPolicy(100, 100, 2.0, () -> 0.5), (pool, device) -> { },
                600_000); // a flush that would hold the stop for ten minutes
        p.start();
        for (int i = 0; i < NoticePublisher.UNDELIVERED_LOGGED + 50; i++) {
            p.onStateChange(new DeviceStateChange(i % 2 == 0 ? DeviceStateChange.Kind.DROPPED
                    : DeviceStateChange.Kind.RESTORED, "pool", "plc-" + i, "10.0.0.1:502", null,
                    java.time.Instant.EPOCH, 0, 0, 1, i, java.time.Instant.EPOCH, false));
        }
        await().atMost(WAIT).until(() -> p.stats().failedAttempts() > 0);
        assertTimeoutPreemptively(Duration.ofSeconds(30), p::close, "the stop waited for a flush that cannot succeed");
        assertThat(logged(Level.SEVERE, "undelivered notice: ")).hasSize(NoticePublisher.UNDELIVERED_LOGGED);
        assertThat(logged(Level.SEVERE, "and 50 more undelivered notice(s)")).hasSize(1);
        assertThat(logged(Level.INFO, "FieldLink notices stopped: 0 sent, 0 dropped by overflow, "
                + (NoticePublisher.UNDELIVERED_LOGGED + 50) + " undelivered at stop")).hasSize(1);
    }

    /**
     * A connection factory of a JMS provider that can be undeployed: afterwards it fails every
     * connection, as the objects of an undeployed resource adapter do.
     */
    private static final class Redeployable implements ConnectionFactory {
        private final ConnectionFactory delegate;
        private volatile boolean undeployed;
        final AtomicInteger connections = new AtomicInteger();

        Redeployable(ConnectionFactory delegate) {
            this.delegate = delegate;
        }

        void undeploy() {
            undeployed = true;
        }

        private void check() throws JMSException {
            if (undeployed) {
                throw new JMSException("the resource adapter of this connection factory was undeployed");
            }
            connections.incrementAndGet();
        }

        @Override
        public Connection createConnection() throws JMSException {
            check();
            return delegate.createConnection();
        }

        @Override
        public Connection createConnection(String user, String password) throws JMSException {
            check();
            return delegate.createConnection(user, password);
        }

        @Override
        public JMSContext createContext() {
            throw new UnsupportedOperationException("the publisher uses the JMS 1.1 API");
        }

        @Override
        public JMSContext createContext(String user, String password) {
            throw new UnsupportedOperationException("the publisher uses the JMS 1.1 API");
        }

        @Override
        public JMSContext createContext(String user, String password, int sessionMode) {
            throw new UnsupportedOperationException("the publisher uses the JMS 1.1 API");
        }

        @Override
        public JMSContext createContext(int sessionMode) {
            throw new UnsupportedOperationException("the publisher uses the JMS 1.1 API");
        }
    }
}
