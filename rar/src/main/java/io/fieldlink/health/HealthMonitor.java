package io.fieldlink.health;

import io.fieldlink.transport.AdapterThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * The adapter's one health thread. Device state edges go out from here, serially and in the order
 * they happened, to every {@link DeviceStateListener}; the container's connection error events are
 * fired from here too, so neither the event loops nor application threads ever run container or
 * listener code.
 *
 * <p>Ordering: {@link #publish} takes the next sequence number and queues the delivery under one
 * lock, so queue order, sequence order and edge order agree.
 */
public final class HealthMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    private final ExecutorService thread;
    private final List<DeviceStateListener> listeners = new CopyOnWriteArrayList<>();
    private long sequence;
    private final Map<String, LongAdder> noticesDropped = new ConcurrentHashMap<>();

    public HealthMonitor(String threadPrefix) {
        this.thread = Executors.newSingleThreadExecutor(r -> AdapterThreads.thread(r, threadPrefix + "-health"));
    }

    public void addListener(DeviceStateListener listener) {
        listeners.add(listener);
    }

    public void removeListener(DeviceStateListener listener) {
        listeners.remove(listener);
    }

    /** Numbers a change and queues it for the listeners; the caller holds the device's lock. */
    public synchronized void publish(LongFunction<DeviceStateChange> change) {
        DeviceStateChange c = change.apply(++sequence);
        execute(() -> {
            for (DeviceStateListener l : listeners) {
                try {
                    l.onStateChange(c);
                } catch (RuntimeException e) {
                    log.error("Device state listener {} failed on {} of {}", l, c.kind(), c.deviceId(), e);
                }
            }
        });
    }

    /** Counts a notice of this device lost to outbox overflow (shown in the health view). */
    public void countDroppedNotice(String pool, String deviceId) {
        noticesDropped.computeIfAbsent(pool + "\u0000" + deviceId, k -> new LongAdder()).increment();
    }

    public long droppedNotices(String pool, String deviceId) {
        LongAdder n = noticesDropped.get(pool + "\u0000" + deviceId);
        return n == null ? 0 : n.sum();
    }

    /** Runs a task on the health thread; after {@link #close()} the task is dropped (nothing is listening). */
    public void execute(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException stopped) {
            log.debug("health thread stopped; dropped {}", task);
        }
    }

    /** Delivers what is queued (bounded wait), then ends the thread. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("health thread did not finish in 5 s; interrupting it");
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
