package io.fieldlink.testsupport;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Live threads by name, for leak checks. */
public final class Threads {

    private Threads() {
    }

    public static List<String> named(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith(prefix)).sorted().toList();
    }

    /** Waits (bounded) until no live thread has the prefix; returns the ones left. */
    public static List<String> awaitGone(String prefix, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        List<String> left = named(prefix);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            left = named(prefix);
        }
        return left;
    }
}
