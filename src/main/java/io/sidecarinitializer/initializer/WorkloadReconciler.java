package io.sidecarinitializer.initializer;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.sidecarinitializer.cluster.Activity;
import io.sidecarinitializer.cluster.ConfigWatcher;
import io.sidecarinitializer.cluster.ControllerMetrics;
import io.sidecarinitializer.cluster.FailureCause;
import io.sidecarinitializer.cluster.Leadership;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.OutcomeReporter;
import io.sidecarinitializer.cluster.Plan;
import io.sidecarinitializer.cluster.RecentKeys;
import io.sidecarinitializer.cluster.WorkloadRef;
import io.sidecarinitializer.inject.Injection;
import io.sidecarinitializer.inject.WorkloadKind;
import io.sidecarinitializer.kube.WorkloadResources;
import io.sidecarinitializer.kube.WorkloadStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler for every workload kind: one instance is registered per kind, each watching that kind's
 * served API version. It reads each object as a JSON tree, asks the engine ({@link Plan#decide}) and
 * writes the answer back with one JSON Patch guarded by {@code test} operations, so a concurrent writer
 * is never overwritten: a failed test is retried on a fresh read.
 *
 * <p>Initializer mode (SPEC §5): act only when {@code pending[0]} is our name; the PATCH carries the
 * injection, if any, and removes our entry. Whatever goes wrong with config, object or injection, the
 * entry is still removed (fail-open), because an object with a pending initializer is never created.
 *
 * <p>Reconcile mode: inject into selected workloads that are not injected yet. A Job's template is
 * immutable, so a Job gets a Warning Event instead of a PATCH; nothing is retried in a loop.
 *
 * <p>It never returns an update for java-operator-sdk to apply (that would be server-side apply) and adds
 * no finalizer.
 */
public final class WorkloadReconciler<R extends WorkloadResources.WorkloadResource> implements Reconciler<R> {
    /** Attempts per reconciliation before giving the object back to java-operator-sdk's retry. */
    static final int MAX_ATTEMPTS = 5;
    private static final Logger log = LoggerFactory.getLogger(WorkloadReconciler.class);

    private final Class<R> type;
    private final WorkloadKind kind;
    private final Mode mode;
    private final KubernetesClient client;
    private final ConfigWatcher config;
    private final Leadership leadership;
    private final OutcomeReporter reporter;
    private final ControllerMetrics metrics;
    private final RecentKeys pendingSeen = new RecentKeys(50_000);
    private final Clock clock;
    private final Activity activity;
    /** The informer cache: in initializer mode sized by what is pending, in reconcile mode every object as text. */
    private final WorkloadStore<R> store;

    public WorkloadReconciler(Class<R> type, Mode mode, KubernetesClient client, ConfigWatcher config, Leadership leadership,
                       OutcomeReporter reporter, ControllerMetrics metrics, Clock clock, Activity activity) {
        if (mode == Mode.AUTO) {
            throw new IllegalArgumentException("resolve the mode before building a reconciler");
        }
        this.type = type;
        this.kind = WorkloadKind.forKind(WorkloadResources.kind(type))
                .orElseThrow(() -> new IllegalArgumentException(type + " is not a workload kind"));
        this.mode = mode;
        this.client = client;
        this.config = config;
        this.leadership = leadership;
        this.reporter = reporter;
        this.metrics = metrics;
        this.clock = clock;
        this.activity = activity;
        this.store = mode == Mode.INITIALIZER ? new WorkloadStore<>(type, client.getKubernetesSerialization())
                : WorkloadStore.everyObjectAsText(type);
    }

    /** The informer cache to register with this reconciler. */
    public WorkloadStore<R> store() {
        return store;
    }

    public Class<R> resourceType() {
        return type;
    }

    WorkloadKind kind() {
        return kind;
    }

    @Override
    public UpdateControl<R> reconcile(R resource, Context<R> context) {
        if (!leadership.isLeader()) {
            return UpdateControl.noUpdate();
        }
        Patched<R> patched;
        activity.begin();
        try {
            patched = mode == Mode.INITIALIZER ? initialize(resource) : injectInPlace(resource);
        } finally {
            activity.end();
        }
        if (patched != null) {
            // Let the next reconciliation see our write even before the watch delivers it. In initializer mode that
            // is who it is and what is still pending: our entry is gone for good, and nothing else of the object is
            // read once ours is not first, so the injected object is not held until its watch event arrives. In
            // reconcile mode it is the whole object the server answered, which a reconciliation reads as it is.
            R after = mode == Mode.INITIALIZER ? store.pendingOnly(patched.after()) : patched.after();
            context.eventSourceRetriever().getControllerEventSource()
                    .handleRecentResourceUpdate(ResourceID.fromResource(after), after, patched.before());
        }
        return UpdateControl.noUpdate();
    }

    /** An object before and after our PATCH. */
    record Patched<R>(R before, R after) {}

    private Patched<R> initialize(R cached) {
        R current = store.whole(cached);
        if (current == null) {
            return null; // deleted since java-operator-sdk read its stand-in
        }
        String rejection = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Map<String, Object> object = tree(current);
            ConfigWatcher.Active active = config.active();
            String ours = active.initializerName();
            PendingInitializers pending = PendingInitializers.of(object);
            WorkloadRef ref = WorkloadRef.of(kind, object);
            if (attempt == 1 && pending.contains(ours) && pendingSeen.firstTime(ref.uid())) {
                metrics.pendingSeen(kind);
            }
            if (!pending.firstIs(ours)) {
                if (pending.contains(ours)) {
                    log.debug("{} waits for {} before {}", ref.display(), pending.names().get(0), ours);
                }
                return null; // not ours, or not our turn yet: the update that makes it our turn brings us back
            }
            Plan plan = rejection == null
                    ? Plan.decide(active, object, ref.namespace())
                    : Plan.failed(FailureCause.REJECTED, rejection);
            List<Map<String, Object>> ops = new ArrayList<>();
            ops.add(resourceVersionTest(ref));
            ops.addAll(plan.injectionOps());
            ops.addAll(pending.removeFirstOps(ours));
            try {
                R after = patch(current, ops);
                reporter.initialized(ref, plan.outcome());
                recordLatency(ref);
                return new Patched<>(current, after);
            } catch (KubernetesClientException e) {
                R fresh = afterConflict(ref, e);
                if (fresh == null) {
                    return null;
                }
                if (sameVersion(fresh, current)) {
                    // Nothing changed, so our test operations held: the server refused the content itself.
                    if (!plan.injects()) {
                        throw e;
                    }
                    rejection = "HTTP " + e.getCode() + ": " + statusMessage(e);
                }
                current = fresh;
            }
        }
        throw new IllegalStateException(kind.resource() + " " + cached.getMetadata().getNamespace() + "/"
                + cached.getMetadata().getName() + " kept changing under " + MAX_ATTEMPTS + " attempts to initialize it");
    }

    private Patched<R> injectInPlace(R cached) {
        R current = store.whole(cached);
        if (current == null) {
            return null; // deleted since java-operator-sdk read its stand-in
        }
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Map<String, Object> object = tree(current);
            ConfigWatcher.Active active = config.active();
            if (!active.usable()) {
                return null; // nothing waits on us in this mode; the ConfigMap already carries the Warning
            }
            WorkloadRef ref = WorkloadRef.of(kind, object);
            Plan plan = Plan.decide(active, object, ref.namespace());
            if (plan.outcome() instanceof Plan.Skipped skipped) {
                reporter.reconcileSkipped(ref, skipped.reason());
                return null;
            }
            if (plan.outcome() instanceof Plan.Failed failed) {
                reporter.reconcileFailed(ref, failed.cause(), failed.detail());
                return null;
            }
            Plan.Injected injected = (Plan.Injected) plan.outcome();
            if (kind == WorkloadKind.JOB) {
                reporter.reconcileFailed(ref, FailureCause.JOB_TEMPLATE_IMMUTABLE, injected.reason().description());
                return null;
            }
            List<Map<String, Object>> ops = new ArrayList<>();
            ops.add(resourceVersionTest(ref));
            ops.addAll(plan.injectionOps());
            try {
                R after = patch(current, ops);
                reporter.reconciledInjection(ref, injected);
                return new Patched<>(current, after);
            } catch (KubernetesClientException e) {
                R fresh = afterConflict(ref, e);
                if (fresh == null) {
                    return null;
                }
                if (sameVersion(fresh, current)) {
                    reporter.reconcileFailed(ref, FailureCause.REJECTED, "HTTP " + e.getCode() + ": " + statusMessage(e));
                    return null;
                }
                current = fresh;
            }
        }
        throw new IllegalStateException(kind.resource() + " " + cached.getMetadata().getNamespace() + "/"
                + cached.getMetadata().getName() + " kept changing under " + MAX_ATTEMPTS + " attempts to inject it");
    }

    /**
     * After a failed PATCH: a fresh read when the failure was a conflict or a failed test (409 or 422, as
     * kube-apiserver answers a failed JSON Patch test), null when the object is gone; other errors propagate
     * so java-operator-sdk retries with back-off.
     */
    private R afterConflict(WorkloadRef ref, KubernetesClientException e) {
        if (e.getCode() == 404) {
            return null;
        }
        if (e.getCode() != 409 && e.getCode() != 422) {
            throw e;
        }
        log.debug("PATCH of {} at resourceVersion {} failed ({}); re-reading", ref.display(), ref.resourceVersion(), e.getCode());
        R fresh = client.resources(type).inNamespace(ref.namespace()).withName(ref.name()).get();
        return fresh == null ? null : store.whole(fresh); // reconcile mode reads objects as stand-ins
    }

    /**
     * One JSON Patch, through fabric8's DSL. It is given the object's name and namespace only: a whole object would
     * be copied before the PATCH, and no object at all costs a GET. The answer is read as the operator client
     * reads every workload: in initializer mode an initialized one as its metadata alone, in reconcile mode as a
     * stand-in with its text (see {@link WorkloadStore}).
     */
    private R patch(R target, List<Map<String, Object>> ops) {
        String body = client.getKubernetesSerialization().asJson(ops);
        return client.resources(type).inNamespace(target.getMetadata().getNamespace()).resource(nameOnly(target.getMetadata()))
                .patch(PatchContext.of(PatchType.JSON), body);
    }

    private R nameOnly(ObjectMeta meta) {
        R target = WorkloadResources.newInstance(type);
        target.setMetadata(new ObjectMetaBuilder().withName(meta.getName()).withNamespace(meta.getNamespace()).build());
        return target;
    }

    /** The object as we read it, as a plain tree; apiVersion and kind are those we watch (list items may lack them). */
    private Map<String, Object> tree(R resource) {
        @SuppressWarnings("unchecked")
        Map<String, Object> object = client.getKubernetesSerialization().convertValue(resource, LinkedHashMap.class);
        object.put("apiVersion", WorkloadResources.apiVersion(type));
        object.put("kind", kind.kind());
        return object;
    }

    private static Map<String, Object> resourceVersionTest(WorkloadRef ref) {
        return Injection.op("test", "/metadata/resourceVersion", ref.resourceVersion());
    }

    private void recordLatency(WorkloadRef ref) {
        try {
            metrics.initializationLatency(Duration.between(Instant.parse(ref.creationTimestamp()), clock.instant()));
        } catch (DateTimeParseException e) {
            log.debug("{} has no usable creationTimestamp '{}'", ref.display(), ref.creationTimestamp());
        }
    }

    private static boolean sameVersion(WorkloadResources.WorkloadResource a, WorkloadResources.WorkloadResource b) {
        return a.getMetadata().getResourceVersion() != null
                && a.getMetadata().getResourceVersion().equals(b.getMetadata().getResourceVersion());
    }

    private static String statusMessage(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : String.valueOf(e.getMessage());
    }
}
