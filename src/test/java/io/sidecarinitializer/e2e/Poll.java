package io.sidecarinitializer.e2e;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polling with a deadline for what a real API server or controller does asynchronously; never a fixed sleep. */
final class Poll {
    static final Duration DEFAULT = Duration.ofSeconds(30);
    /** A kubectl call costs a process start, so poll at a pace the 2-core CI machine can afford. */
    private static final long INTERVAL_MS = 150;

    private Poll() {}

    /** Polls until {@code condition} returns true; an exception counts as "not yet" and is reported on timeout. */
    static void until(String what, Callable<Boolean> condition) {
        until(what, DEFAULT, condition);
    }

    static void until(String what, Duration timeout, Callable<Boolean> condition) {
        value(what, timeout, () -> Boolean.TRUE.equals(condition.call()) ? Boolean.TRUE : null);
    }

    /** Polls until {@code supplier} returns non-null, and returns that. */
    static <T> T value(String what, Duration timeout, Callable<T> supplier) {
        long deadline = System.nanoTime() + timeout.toNanos();
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
                Thread.sleep(INTERVAL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
