package io.sidecarinitializer.testing;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polling with a deadline for what an API server or controller does asynchronously; never a fixed sleep. */
public final class Poll {
    public static final Duration DEFAULT = Duration.ofSeconds(30);
    /** The first retries come quickly (an in-process mock answers in microseconds), later ones at a kubectl's pace. */
    private static final long FIRST_INTERVAL_MS = 20;
    private static final long MAX_INTERVAL_MS = 150;

    private Poll() {}

    /** Polls until {@code condition} returns true; an exception counts as "not yet" and is reported on timeout. */
    public static void until(String what, Callable<Boolean> condition) {
        until(what, DEFAULT, condition);
    }

    public static void until(String what, Duration timeout, Callable<Boolean> condition) {
        value(what, timeout, () -> Boolean.TRUE.equals(condition.call()) ? Boolean.TRUE : null);
    }

    /** Polls until {@code supplier} returns non-null, and returns that. */
    public static <T> T value(String what, Callable<T> supplier) {
        return value(what, DEFAULT, supplier);
    }

    public static <T> T value(String what, Duration timeout, Callable<T> supplier) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long interval = FIRST_INTERVAL_MS;
        Throwable last = null;
        while (true) {
            try {
                T value = supplier.call();
                if (value != null) {
                    return value;
                }
                last = null;
            } catch (AssertionError | Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + (last == null ? "" : "; last error: " + last.getMessage()), last);
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
            interval = Math.min(MAX_INTERVAL_MS, interval * 2);
        }
    }
}
