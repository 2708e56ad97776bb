package io.sidecarinitializer.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sidecarinitializer.inject.Reason;
import io.sidecarinitializer.inject.WorkloadKind;
import java.time.Duration;

/**
 * The controller's Prometheus metrics. Micrometer names map to Prometheus ones: {@code sidecar.injections}
 * is exported as {@code sidecar_injections_total}, the timer as {@code sidecar_initialization_latency_seconds}.
 */
public final class ControllerMetrics {
    /** {@code sidecar_injections_total{kind,result,reason}}; result is injected, skipped or failed. */
    public static final String INJECTIONS = "sidecar.injections";
    /** {@code sidecar_initialization_latency_seconds}: creationTimestamp to our successful PATCH (initializer mode). */
    public static final String INITIALIZATION_LATENCY = "sidecar.initialization.latency";
    /** {@code sidecar_config_reloads_total{result=ok|error}}. */
    public static final String CONFIG_RELOADS = "sidecar.config.reloads";
    /** {@code sidecar_config_errors_total}. */
    public static final String CONFIG_ERRORS = "sidecar.config.errors";
    /** {@code sidecar_pending_objects_seen_total{kind}}: objects seen with our initializer pending, once each. */
    public static final String PENDING_SEEN = "sidecar.pending.objects.seen";
    /** {@code sidecar_fail_open_total{kind,cause}}: objects initialized without an injection because something failed. */
    public static final String FAIL_OPEN = "sidecar.fail.open";

    public static final String INJECTED = "injected";
    public static final String SKIPPED = "skipped";
    public static final String FAILED = "failed";

    private final MeterRegistry registry;
    private final Timer latency;
    private final Counter configErrors;

    public ControllerMetrics(MeterRegistry registry) {
        this.registry = registry;
        // creationTimestamp has one-second resolution, so buckets finer than that would be noise.
        this.latency = Timer.builder(INITIALIZATION_LATENCY)
                .description("Time from an object's creationTimestamp (1 s resolution) to the PATCH that initialized it")
                .serviceLevelObjectives(seconds(1), seconds(2), seconds(5), seconds(10), seconds(30), seconds(60), seconds(300))
                .register(registry);
        this.configErrors = Counter.builder(CONFIG_ERRORS)
                .description("Invalid istio-inject or mesh ConfigMap contents seen")
                .register(registry);
        // Present from the start, so a dashboard sees 0 rather than nothing.
        configReloads("ok");
        configReloads("error");
    }

    public MeterRegistry registry() {
        return registry;
    }

    void injected(WorkloadKind kind, Reason reason) {
        injections(kind, INJECTED, reason.label()).increment();
    }

    void skipped(WorkloadKind kind, Reason reason) {
        injections(kind, SKIPPED, reason.label()).increment();
    }

    /** An injection that did not happen because something went wrong; {@code cause} is a {@link FailureCause} label. */
    void failed(WorkloadKind kind, FailureCause cause) {
        injections(kind, FAILED, cause.label()).increment();
    }

    void failOpen(WorkloadKind kind, FailureCause cause) {
        Counter.builder(FAIL_OPEN)
                .description("Objects initialized without the sidecar because config, object or injection failed")
                .tag("kind", kind.kind())
                .tag("cause", cause.label())
                .register(registry)
                .increment();
    }

    public void initializationLatency(Duration sinceCreation) {
        latency.record(sinceCreation.isNegative() ? Duration.ZERO : sinceCreation);
    }

    void configReloaded(boolean ok) {
        configReloads(ok ? "ok" : "error").increment();
    }

    void configError() {
        configErrors.increment();
    }

    public void pendingSeen(WorkloadKind kind) {
        Counter.builder(PENDING_SEEN)
                .description("Objects seen with this initializer in metadata.initializers.pending")
                .tag("kind", kind.kind())
                .register(registry)
                .increment();
    }

    private Counter injections(WorkloadKind kind, String result, String reason) {
        return Counter.builder(INJECTIONS)
                .description("Sidecar injection outcomes by kind, result and reason")
                .tag("kind", kind.kind())
                .tag("result", result)
                .tag("reason", reason)
                .register(registry);
    }

    private Counter configReloads(String result) {
        return Counter.builder(CONFIG_RELOADS)
                .description("istio-inject/mesh ConfigMap reloads by result")
                .tag("result", result)
                .register(registry);
    }

    private static Duration seconds(long s) {
        return Duration.ofSeconds(s);
    }
}
