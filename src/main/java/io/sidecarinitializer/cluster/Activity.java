package io.sidecarinitializer.cluster;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether the controller is initializing objects right now: a reconciliation is running, or one ended a moment
 * ago (in a burst the next is already on its way). Work that can wait, the Normal Events, asks this and gives
 * way, so that in a burst the API server spends itself on the PATCHes that hold up object creation.
 */
public final class Activity {
    /** How long after the last reconciliation the controller still counts as busy. */
    static final Duration QUIET_AFTER = Duration.ofMillis(100);

    private final AtomicInteger running = new AtomicInteger();
    private volatile long lastEnded = System.nanoTime() - QUIET_AFTER.toNanos();

    public void begin() {
        running.incrementAndGet();
    }

    public void end() {
        lastEnded = System.nanoTime();
        running.decrementAndGet();
    }

    boolean busy() {
        return running.get() > 0 || System.nanoTime() - lastEnded < QUIET_AFTER.toNanos();
    }
}
