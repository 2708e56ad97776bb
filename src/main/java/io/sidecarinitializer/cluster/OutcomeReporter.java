package io.sidecarinitializer.cluster;

import io.sidecarinitializer.inject.Reason;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Tells the cluster and the operator what happened to a workload: an Event on it, a metric and a log line.
 * In initializer mode each object is reported once, when its PATCH lands. In reconcile mode the same
 * decision comes back at every resync, so each (object, reason) is reported once per process.
 */
public final class OutcomeReporter {
    static final String INJECTED = "Injected";
    static final String SKIPPED = "Skipped";
    static final String INJECTION_FAILED = "InjectionFailed";
    static final String JOB_TEMPLATE_IMMUTABLE = "JobTemplateImmutable";

    /**
     * Skips that reconcile mode reports with an Event: those the workload itself chose. Namespace- and
     * policy-level skips would put an Event on every workload of the cluster at each start, and
     * already-injected is the steady state, so those get a metric and a log line only (already-injected: nothing).
     */
    private static final Set<Reason> RECONCILE_SKIP_EVENTS = Set.of(Reason.ANNOTATION_DISABLED,
            Reason.TEMPLATE_ANNOTATION_DISABLED, Reason.TEMPLATE_ANNOTATION_OVERRIDES_DISABLED, Reason.HOST_NETWORK);

    private static final Logger log = LoggerFactory.getLogger(OutcomeReporter.class);

    private final EventRecorder events;
    private final ControllerMetrics metrics;
    private final RecentKeys reported = new RecentKeys(50_000);

    OutcomeReporter(EventRecorder events, ControllerMetrics metrics) {
        this.events = events;
        this.metrics = metrics;
    }

    /** Initializer mode: the PATCH that removed our pending entry landed. */
    public void initialized(WorkloadRef ref, Plan.Outcome outcome) {
        String key = ref.uid() + "/initialized";
        if (outcome instanceof Plan.Injected injected) {
            injected(ref, injected, key);
        } else if (outcome instanceof Plan.Skipped skipped) {
            Reason reason = skipped.reason();
            metrics.skipped(ref.kind(), reason);
            at(log.atInfo(), ref, "skipped", reason.label())
                    .log("Initialized {} without the sidecar: {}", ref.display(), reason.description());
            // System namespaces are never ours to write to, Events included.
            if (reason != Reason.SYSTEM_NAMESPACE) {
                events.record(ref.reference(), EventRecorder.NORMAL, SKIPPED, skippedMessage(reason), key);
            }
        } else if (outcome instanceof Plan.Failed failed) {
            metrics.failed(ref.kind(), failed.cause());
            metrics.failOpen(ref.kind(), failed.cause());
            at(log.atWarn(), ref, "failed", failed.cause().label())
                    .log("Initialized {} without the sidecar (fail-open) because {}: {}", ref.display(),
                            failed.cause().description(), failed.detail());
            events.record(ref.reference(), EventRecorder.WARNING, INJECTION_FAILED,
                    "Initialized without the sidecar because " + failed.cause().description() + ": " + failed.detail(), key);
        }
    }

    /** Reconcile mode: the injection PATCH landed. */
    public void reconciledInjection(WorkloadRef ref, Plan.Injected injected) {
        injected(ref, injected, ref.uid() + "/" + ref.resourceVersion() + "/injected");
    }

    /** Reconcile mode: the engine says skip. */
    public void reconcileSkipped(WorkloadRef ref, Reason reason) {
        if (reason == Reason.ALREADY_INJECTED || !reported.firstTime(ref.uid() + "/" + reason.label())) {
            return;
        }
        metrics.skipped(ref.kind(), reason);
        at(log.atInfo(), ref, "skipped", reason.label()).log("Not injecting {}: {}", ref.display(), reason.description());
        if (RECONCILE_SKIP_EVENTS.contains(reason)) {
            events.record(ref.reference(), EventRecorder.NORMAL, SKIPPED, skippedMessage(reason), null);
        }
    }

    /** Reconcile mode: the injection cannot happen; reported once, never retried. */
    public void reconcileFailed(WorkloadRef ref, FailureCause cause, String detail) {
        if (!reported.firstTime(ref.uid() + "/" + cause.label())) {
            return;
        }
        metrics.failed(ref.kind(), cause);
        String reason = cause == FailureCause.JOB_TEMPLATE_IMMUTABLE ? JOB_TEMPLATE_IMMUTABLE : INJECTION_FAILED;
        String message = cause == FailureCause.JOB_TEMPLATE_IMMUTABLE
                ? "The sidecar would be injected (" + detail + "), but a Job's pod template is immutable after creation; "
                        + "recreate the Job with the sidecar (for example through kube-inject) to add it"
                : "Sidecar not injected because " + cause.description() + ": " + detail;
        at(log.atWarn(), ref, "failed", cause.label()).log("Not injecting {}: {}", ref.display(), message);
        events.record(ref.reference(), EventRecorder.WARNING, reason, message, null);
    }

    private void injected(WorkloadRef ref, Plan.Injected injected, String key) {
        metrics.injected(ref.kind(), injected.reason());
        at(log.atInfo(), ref, "injected", injected.reason().label())
                .log("Injected the sidecar into {} ({}): {}", ref.display(), injected.reason().description(), injected.status());
        events.record(ref.reference(), EventRecorder.NORMAL, INJECTED,
                "Injected the Istio sidecar (" + injected.reason().description() + "): " + injected.status(), key);
    }

    /** One wording for Skipped Events in both modes; e2e tests and users grep for the label in parentheses. */
    private static String skippedMessage(Reason reason) {
        return "Sidecar not injected: " + reason.description() + " (" + reason.label() + ")";
    }

    private static LoggingEventBuilder at(LoggingEventBuilder builder, WorkloadRef ref, String result, String reason) {
        return builder.addKeyValue("namespace", ref.namespace())
                .addKeyValue("kind", ref.kind().kind())
                .addKeyValue("name", ref.name())
                .addKeyValue("result", result)
                .addKeyValue("reason", reason);
    }
}
