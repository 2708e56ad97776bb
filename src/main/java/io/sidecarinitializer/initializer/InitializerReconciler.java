package io.sidecarinitializer.initializer;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.sidecarinitializer.cluster.ConfigWatcher;
import io.sidecarinitializer.cluster.FailureCause;
import io.sidecarinitializer.cluster.FrontServices;
import io.sidecarinitializer.cluster.Plan;
import io.sidecarinitializer.cluster.RecentKeys;
import io.sidecarinitializer.cluster.WorkloadRef;
import io.sidecarinitializer.inject.WorkloadKind;
import io.sidecarinitializer.kube.GuardedPatch;
import io.sidecarinitializer.kube.GuardedPatch.Patched;
import io.sidecarinitializer.kube.GuardedPatch.Rejected;
import io.sidecarinitializer.kube.GuardedPatch.Result;
import io.sidecarinitializer.kube.GuardedPatch.Write;
import io.sidecarinitializer.kube.WorkloadResources;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pending-initializers front (SPEC §5), one per watched kind: when our name is first in
 * {@code metadata.initializers.pending}, decide, then one guarded PATCH that injects (or not) and removes our
 * entry, then report. Whatever goes wrong with config, object or injection, our entry is still removed
 * (fail-open): an object with a pending initializer is never created.
 */
public final class InitializerReconciler<R extends WorkloadResources.WorkloadResource> implements Reconciler<R> {
    private static final Logger log = LoggerFactory.getLogger(InitializerReconciler.class);

    private final WorkloadKind kind;
    private final GuardedPatch<R> patch;
    private final FrontServices cluster;
    private final RecentKeys pendingSeen = new RecentKeys(50_000);

    /** What one PATCH does to one object, reported once it lands. */
    record Initialized(WorkloadRef ref, Plan plan) {}

    public InitializerReconciler(WorkloadKind kind, GuardedPatch<R> patch, FrontServices cluster) {
        this.kind = kind;
        this.patch = patch;
        this.cluster = cluster;
    }

    @Override
    public UpdateControl<R> reconcile(R resource, Context<R> context) {
        cluster.whileLeading(() -> initialize(resource, context));
        return UpdateControl.noUpdate();
    }

    private void initialize(R resource, Context<R> context) {
        Result<R, Initialized> result = patch.apply(resource, context, object -> initialization(object, null));
        if (result instanceof Rejected<R, Initialized> refused && refused.report().plan().injects()) {
            // Fail-open: the server refused the injection, and our entry must go all the same.
            result = patch.apply(refused.current(), context, object -> initialization(object, refused.why()));
        }
        if (result instanceof Rejected<R, Initialized> refused) {
            throw refused.error(); // even the removal alone was refused: java-operator-sdk retries with back-off
        }
        if (result instanceof Patched<R, Initialized> done) {
            cluster.reporter().initialized(done.report().ref(), done.report().plan().outcome());
            recordLatency(done.report().ref());
        }
    }

    /**
     * Ours and first → decide → the injection's operations, then our entry's removal. With a {@code rejection}
     * (the server refused the injection), the removal alone. Null while it is not our turn.
     */
    Write<Initialized> initialization(Map<String, Object> object, String rejection) {
        ConfigWatcher.Active active = cluster.config().active();
        String ours = active.initializerName();
        PendingInitializers pending = PendingInitializers.of(object);
        WorkloadRef ref = WorkloadRef.of(kind, object);
        if (pending.contains(ours) && pendingSeen.firstTime(ref.uid())) {
            cluster.metrics().pendingSeen(kind);
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
        List<Map<String, Object>> ops = new ArrayList<>(plan.injectionOps());
        ops.addAll(pending.removeFirstOps(ours));
        return new Write<>(ops, new Initialized(ref, plan));
    }

    private void recordLatency(WorkloadRef ref) {
        try {
            cluster.metrics().initializationLatency(Duration.between(Instant.parse(ref.creationTimestamp()), cluster.clock().instant()));
        } catch (DateTimeParseException e) {
            log.debug("{} has no usable creationTimestamp '{}'", ref.display(), ref.creationTimestamp());
        }
    }
}
