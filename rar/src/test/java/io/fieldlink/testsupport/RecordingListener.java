package io.fieldlink.testsupport;

import io.fieldlink.health.DeviceStateChange;
import io.fieldlink.health.DeviceStateListener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Records device state changes with the monotonic time they arrived, and waits for them. */
public final class RecordingListener implements DeviceStateListener {

    /** A change and when the listener saw it. */
    public record Seen(DeviceStateChange change, long atNanos) {
    }

    private final List<Seen> seen = new ArrayList<>();

    @Override
    public synchronized void onStateChange(DeviceStateChange change) {
        seen.add(new Seen(change, System.nanoTime()));
        notifyAll();
    }

    public synchronized List<Seen> all() {
        return List.copyOf(seen);
    }

    public synchronized List<DeviceStateChange> changes() {
        return seen.stream().map(Seen::change).toList();
    }

    /** Waits for the first change matching {@code p}; returns it, or {@code null} after {@code timeoutMs}. */
    public synchronized Seen await(Predicate<DeviceStateChange> p, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            for (Seen s : seen) {
                if (p.test(s.change())) {
                    return s;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** A real UP to DOWN edge of the device (not its first verdict after start). */
    public static Predicate<DeviceStateChange> dropped(String deviceId) {
        return c -> c.kind() == DeviceStateChange.Kind.DROPPED && !c.initial() && c.deviceId().equals(deviceId);
    }

    /** A real DOWN to UP edge of the device (not its first verdict after start). */
    public static Predicate<DeviceStateChange> restored(String deviceId) {
        return c -> c.kind() == DeviceStateChange.Kind.RESTORED && !c.initial() && c.deviceId().equals(deviceId);
    }

    /** The device's first verdict after its pool opened (UP: RESTORED, DOWN: DROPPED), marked initial. */
    public static Predicate<DeviceStateChange> firstVerdict(String deviceId) {
        return c -> c.initial() && c.deviceId().equals(deviceId);
    }

    /** Waits for the device's first verdict; fails the test if it does not come within 5 s. */
    public DeviceStateChange awaitFirstVerdict(String deviceId) throws InterruptedException {
        Seen s = await(firstVerdict(deviceId), 5_000);
        if (s == null) {
            throw new AssertionError("no first verdict for " + deviceId + " within 5 s; changes: " + changes());
        }
        return s.change();
    }

    /** The real edges only (first verdicts left out). */
    public synchronized List<DeviceStateChange> edges() {
        return seen.stream().map(Seen::change).filter(c -> !c.initial()).toList();
    }
}
