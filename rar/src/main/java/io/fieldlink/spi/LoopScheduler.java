package io.fieldlink.spi;

import io.fieldlink.health.Scheduler;
import io.fieldlink.transport.LinkTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/** The production {@link Scheduler}: the transport's event loops (no extra thread), logging what a task throws. */
final class LoopScheduler implements Scheduler {

    private static final Logger log = LoggerFactory.getLogger(LoopScheduler.class);
    private static final Task NOTHING = () -> { };

    private final LinkTransport transport;

    LoopScheduler(LinkTransport transport) {
        this.transport = transport;
    }

    @Override
    public Task schedule(Runnable task, long delayMs) {
        Runnable logged = () -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // a scheduled task's exception would vanish into its future
                log.error("FieldLink health task failed", e);
            }
        };
        try {
            var f = transport.timerLoop().schedule(logged, delayMs, TimeUnit.MILLISECONDS);
            return () -> f.cancel(false);
        } catch (RejectedExecutionException stopping) {
            return NOTHING;
        }
    }
}
