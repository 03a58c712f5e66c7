package io.fieldlink.check;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;

/** The notice bodies the MDB received, oldest first, bounded so a flapping device cannot fill the heap. */
@ApplicationScoped
public class ReceivedNotices {

    static final int KEPT = 500;

    private final List<String> bodies = new ArrayList<>();

    public synchronized void add(String body) {
        bodies.add(body);
        if (bodies.size() > KEPT) {
            bodies.remove(0);
        }
    }

    public synchronized List<String> all() {
        return new ArrayList<>(bodies);
    }
}
