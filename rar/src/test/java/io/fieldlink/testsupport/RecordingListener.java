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

    public static Predicate<DeviceStateChange> dropped(String deviceId) {
        return c -> c.kind() == DeviceStateChange.Kind.DROPPED && c.deviceId().equals(deviceId);
    }

    public static Predicate<DeviceStateChange> restored(String deviceId) {
        return c -> c.kind() == DeviceStateChange.Kind.RESTORED && c.deviceId().equals(deviceId);
    }
}
