package io.fieldlink.sample;

import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Singleton;
import jakarta.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The last notices the MDB received, newest first, bounded. */
@Singleton
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class RecentNotices {

    static final int KEPT = 200;

    private final Deque<JsonObject> notices = new ArrayDeque<>();

    public synchronized void add(JsonObject notice) {
        notices.addFirst(notice);
        while (notices.size() > KEPT) {
            notices.removeLast();
        }
    }

    public synchronized List<JsonObject> newestFirst() {
        return new ArrayList<>(notices);
    }
}
