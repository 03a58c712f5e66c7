package io.fieldlink.testsupport;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What a logger (and the loggers below it) writes while a test runs, for assertions on log lines:
 *
 * <pre>{@code
 * try (LogRecords log = LogRecords.of("io.fieldlink.health.DeviceHealth")) {
 *     ...
 *     assertThat(log.messages(Level.WARNING, "broke the framing")).hasSizeBetween(1, 3);
 * }
 * }</pre>
 *
 * The adapter logs through slf4j-jdk14, so the messages are already formatted.
 */
public final class LogRecords extends Handler implements AutoCloseable {

    private final Logger logger;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogRecords(Logger logger) {
        this.logger = logger;
    }

    public static LogRecords of(String loggerName) {
        LogRecords r = new LogRecords(Logger.getLogger(loggerName));
        r.logger.addHandler(r);
        return r;
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    /** Every record so far. */
    public List<LogRecord> all() {
        return List.copyOf(records);
    }

    /** Records at {@code atLeast} or above. */
    public List<LogRecord> atLeast(Level atLeast) {
        return records.stream().filter(r -> r.getLevel().intValue() >= atLeast.intValue()).toList();
    }

    /** Messages logged at exactly {@code level} that contain {@code text}. */
    public List<String> messages(Level level, String text) {
        return records.stream().filter(r -> r.getLevel().equals(level)).map(LogRecord::getMessage)
                .filter(m -> m.contains(text)).toList();
    }

    /** Messages at any level that contain {@code text}. */
    public List<String> messages(String text) {
        return records.stream().map(LogRecord::getMessage).filter(m -> m.contains(text)).toList();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
