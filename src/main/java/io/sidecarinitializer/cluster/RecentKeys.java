package io.sidecarinitializer.cluster;

import java.util.LinkedHashMap;
import java.util.Map;

/** Keys seen lately, forgetting the oldest past a bound; used so a resync does not repeat an Event. */
public final class RecentKeys {
    private final Map<String, Boolean> keys;

    public RecentKeys(int capacity) {
        this.keys = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True the first time a key is offered (or once it has been forgotten). */
    public synchronized boolean firstTime(String key) {
        return keys.put(key, Boolean.TRUE) == null;
    }

    synchronized void forget(String key) {
        keys.remove(key);
    }

    synchronized int size() {
        return keys.size();
    }
}
