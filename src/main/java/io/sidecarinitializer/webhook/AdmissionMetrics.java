package io.sidecarinitializer.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The webhook's Prometheus metrics: {@code sidecar_admission_requests_total{result,reason}} and the handling-time
 * histogram {@code sidecar_admission_latency_seconds} (body read to answer written, our own part of the API
 * server's call).
 */
public final class AdmissionMetrics {
    public static final String REQUESTS = "sidecar.admission.requests";
    public static final String LATENCY = "sidecar.admission.latency";

    /** Results: a patch sent, no patch needed, an injection that failed (fail-open or closed), a request refused with 4xx. */
    public static final String INJECTED = "injected";
    public static final String SKIPPED = "skipped";
    public static final String FAILED = "failed";
    public static final String REJECTED = "rejected";

    private final MeterRegistry registry;
    private final Timer latency;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public AdmissionMetrics(MeterRegistry registry) {
        this.registry = registry;
        // The API server's default timeout is 10 s; anything near 1 ms is the normal case.
        this.latency = Timer.builder(LATENCY)
                .description("Time to handle one AdmissionReview, from the whole body read to the answer built")
                .serviceLevelObjectives(ms(0.25), ms(0.5), ms(1), ms(2.5), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250),
                        ms(1000), ms(2500), ms(10_000))
                .register(registry);
    }

    /** A review handled in {@code nanos}. */
    public void record(String result, String reason, long nanos) {
        count(result, reason);
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A request refused before it was read (over the body cap): counted, but it has no handling time. */
    public void refused(String reason) {
        count(REJECTED, reason);
    }

    private void count(String result, String reason) {
        counters.computeIfAbsent(result + '/' + reason, k -> Counter.builder(REQUESTS)
                .description("AdmissionReview requests by result (injected, skipped, failed, rejected) and reason")
                .tag("result", result)
                .tag("reason", reason)
                .register(registry)).increment();
    }

    private static Duration ms(double millis) {
        return Duration.ofNanos((long) (millis * 1_000_000));
    }
}
