package io.fieldlink.jmx;

import io.fieldlink.notice.NoticeStats;

import java.util.function.Supplier;

/** The {@link NoticesMXBean}: the adapter's {@link NoticeStats}, read afresh for every attribute. */
final class NoticesView implements NoticesMXBean {

    private final String instance;
    private final Supplier<NoticeStats> stats;

    NoticesView(String instance, Supplier<NoticeStats> stats) {
        this.instance = instance;
        this.stats = stats;
    }

    @Override
    public String getInstance() {
        return instance;
    }

    @Override
    public String getState() {
        return stats.get().state().name();
    }

    @Override
    public int getStateCode() {
        return switch (stats.get().state()) {
            case DISABLED -> 0;
            case WAITING_FOR_JNDI -> 1;
            case ACTIVE -> 2;
            case RETRYING -> 3;
        };
    }

    @Override
    public String getTarget() {
        return stats.get().target();
    }

    @Override
    public String getDetail() {
        String d = stats.get().detail();
        return d == null ? "" : d;
    }

    @Override
    public int getPending() {
        return stats.get().pending();
    }

    @Override
    public long getSent() {
        return stats.get().sent();
    }

    @Override
    public long getDropped() {
        return stats.get().dropped();
    }

    @Override
    public long getFailedAttempts() {
        return stats.get().failedAttempts();
    }

    @Override
    public String getLastError() {
        String e = stats.get().lastError();
        return e == null ? "" : e;
    }
}
