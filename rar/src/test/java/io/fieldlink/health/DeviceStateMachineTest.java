package io.fieldlink.health;

import io.fieldlink.api.DeviceDownException;
import io.fieldlink.api.DeviceState;
import io.fieldlink.config.DeviceAddress;
import io.fieldlink.config.LinkSettings;
import io.fieldlink.config.PoolConfig;
import io.fieldlink.simulator.DeviceSimulator;
import io.fieldlink.simulator.SimFraming;
import io.fieldlink.spi.DeviceManagedConnectionFactory;
import io.fieldlink.testsupport.RecordingListener;
import io.fieldlink.transport.LinkTransport;
import io.fieldlink.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The device state machine on a clock the test drives ({@link ManualScheduler}): settle time and
 * reconnect backoff happen when the test advances time, never by sleeping. Connects are real
 * (loopback, the simulator); the test waits for their results as events.
 */
class DeviceStateMachineTest {

    private static final long INITIAL_MS = 100;
    private static final long MAX_MS = 800;

    private final DeviceSimulator sim = DeviceSimulator.start(SimFraming.line());
    private final LinkTransport transport = new LinkTransport(1, TransportKind.AUTO, "fieldlink-sm");
    private final HealthMonitor monitor = new HealthMonitor("fieldlink-sm");
    private final RecordingListener events = new RecordingListener();
    private final ManualScheduler clock = new ManualScheduler();
    private DeviceHealth device;

    @AfterEach
    void tearDown() {
        if (device != null) {
            device.close();
        }
        transport.close();
        monitor.close();
        sim.close();
    }

    private DeviceHealth device() {
        DeviceManagedConnectionFactory props = new DeviceManagedConnectionFactory();
        props.setHost(sim.host());
        props.setPort(sim.port());
        props.setConnectTimeoutMs(1_000);
        LinkSettings settings = PoolConfig.from(props).link();
        // the jitter pinned to the top of each window: the delays are the ceilings
        ReconnectPolicy policy = new ReconnectPolicy(INITIAL_MS, MAX_MS, 2.0, () -> 0.999_999);
        monitor.addListener(events);
        device = new DeviceHealth("sm", new DeviceAddress("dev", sim.host(), sim.port()), settings, 2, 1, policy,
                transport, monitor, TimeSource.SYSTEM, clock);
        return device;
    }

    /** Runs what is due now, then waits for the next thing a connect or a failure schedules, and runs that. */
    private void step() throws InterruptedException {
        long seen = clock.scheduledCount();
        clock.runDue();
        clock.awaitScheduled(seen, 20_000);
        clock.runDue();
    }

    /**
     * Runs what the attempt's connect and reset report (no time passes) until the reconnector has
     * scheduled its next attempt: a delay that is neither "now" nor the settle time (the backoff
     * ceilings here are 100, 200, 400, 800 ms).
     */
    private void awaitNextBackoff(long seen) throws InterruptedException {
        while (true) {
            // counted before running: a failure the event loop reports between the run and the wait
            // (a 0 ms task, scheduled then) must end the wait, not be waited past
            long before = clock.scheduledCount();
            clock.runDue();
            List<Long> since = clock.delays().subList((int) seen, (int) clock.scheduledCount());
            if (since.stream().anyMatch(ms -> ms != 0 && ms != DeviceHealth.SETTLE_MS)) {
                return;
            }
            clock.awaitScheduled(before, 20_000);
        }
    }

    @Test
    void aDeviceThatRefusesStaysDownWithBackoffGrowingToItsMaximumThenComesBackAfterTheSettleTime() throws Exception {
        sim.stop(); // connects are refused
        DeviceHealth d = device();
        d.start();
        step();                                       // the first connect runs and is refused
        while (d.state() != DeviceState.DOWN) {       // a second chance 250 ms later, refused too
            if (clock.nextDelay() > 0) {
                long seen = clock.scheduledCount();
                clock.advance(clock.nextDelay());
                clock.awaitScheduled(seen, 20_000);
            } else {
                step();
            }
        }
        assertThat(events.await(RecordingListener.firstVerdict("dev"), 5_000).change().kind())
                .isEqualTo(DeviceStateChange.Kind.DROPPED);
        assertThatThrownBy(() -> d.lease(1_000)).isInstanceOf(DeviceDownException.class);

        List<Long> backoff = new java.util.ArrayList<>();
        for (int attempt = 0; attempt < 6; attempt++) {
            long wait = clock.nextDelay();
            backoff.add(wait);
            long seen = clock.scheduledCount();
            clock.advance(wait);                      // the attempt runs now, its connect is refused ...
            clock.awaitScheduled(seen, 20_000);        // ... and the next attempt is scheduled
        }
        assertThat(backoff).containsExactly(100L, 200L, 400L, 800L, 800L, 800L);
        assertThat(d.status().reconnectAttempts()).isEqualTo(6);
        assertThat(d.state()).isEqualTo(DeviceState.DOWN);

        sim.startAgain();
        long seen = clock.scheduledCount();
        clock.advance(clock.nextDelay());             // this attempt connects ...
        clock.awaitScheduled(seen, 20_000);            // ... and the link's settle timer is set
        assertThat(d.state()).as("an accepted connection alone is not UP").isEqualTo(DeviceState.DOWN);
        clock.advance(DeviceHealth.SETTLE_MS);
        assertThat(d.state()).isEqualTo(DeviceState.UP);
        RecordingListener.Seen back = events.await(RecordingListener.restored("dev"), 5_000);
        assertThat(back.change().reconnectAttempts()).isEqualTo(7);
        assertThat(d.status().reconnectAttempts()).isZero();
    }

    @Test
    void aConnectionLostBeforeItSettlesNeverMakesTheDeviceUp() throws Exception {
        sim.acceptThenReset(0); // accepts, then resets at once
        DeviceHealth d = device();
        d.start();
        // first connect accepted, then reset before the settle time: a second chance (probe) ...
        // ... whose connection is reset too: DOWN, never UP in between
        for (int i = 0; i < 20 && d.state() != DeviceState.DOWN; i++) {
            step();
        }
        assertThat(d.state()).isEqualTo(DeviceState.DOWN);
        assertThat(events.await(RecordingListener.firstVerdict("dev"), 5_000)).isNotNull(); // delivered on the health thread
        assertThat(events.changes()).extracting(DeviceStateChange::kind).containsExactly(DeviceStateChange.Kind.DROPPED);
        assertThat(events.changes().get(0).cause()).contains("reset");

        // every reconnect is accepted and reset before it settles: attempts keep counting, no UP
        int attemptsBefore = d.status().reconnectAttempts();
        while (d.status().reconnectAttempts() < attemptsBefore + 4) {
            long attempts = d.status().reconnectAttempts();
            long seen = clock.scheduledCount();
            clock.advance(clock.nextDelay());         // the next attempt (or a stale settle timer, a no-op)
            if (d.status().reconnectAttempts() > attempts) {
                awaitNextBackoff(seen);                // the attempt failed: accepted and reset, or refused
            }
        }
        assertThat(d.status().reconnectAttempts()).isGreaterThanOrEqualTo(attemptsBefore + 4);
        assertThat(d.state()).isEqualTo(DeviceState.DOWN);
        assertThat(events.changes()).hasSize(1);
    }
}
