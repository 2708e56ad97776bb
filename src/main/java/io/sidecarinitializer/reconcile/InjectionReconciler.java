package io.sidecarinitializer.reconcile;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.sidecarinitializer.cluster.ConfigWatcher;
import io.sidecarinitializer.cluster.FailureCause;
import io.sidecarinitializer.cluster.FrontServices;
import io.sidecarinitializer.cluster.OutcomeReporter;
import io.sidecarinitializer.cluster.Plan;
import io.sidecarinitializer.cluster.WorkloadRef;
import io.sidecarinitializer.inject.WorkloadKind;
import io.sidecarinitializer.kube.GuardedPatch;
import io.sidecarinitializer.kube.GuardedPatch.Patched;
import io.sidecarinitializer.kube.GuardedPatch.Rejected;
import io.sidecarinitializer.kube.GuardedPatch.Result;
import io.sidecarinitializer.kube.GuardedPatch.Write;
import io.sidecarinitializer.kube.WorkloadResources;
import java.util.Map;

/**
 * The reconcile-mode front (API servers without Initializers, 1.14+), one per watched kind: for a selected workload
 * that is not injected yet, decide, then one guarded PATCH that injects, then report. A Job's pod template is
 * immutable, so a Job gets a Warning Event instead of a PATCH; nothing is retried in a loop.
 */
public final class InjectionReconciler<R extends WorkloadResources.WorkloadResource> implements Reconciler<R> {
    private final WorkloadKind kind;
    private final GuardedPatch<R> patch;
    private final FrontServices cluster;

    /** The injection one PATCH carries, reported once it lands. */
    record Injecting(WorkloadRef ref, Plan.Injected injected) {}

    public InjectionReconciler(WorkloadKind kind, GuardedPatch<R> patch, FrontServices cluster) {
        this.kind = kind;
        this.patch = patch;
        this.cluster = cluster;
    }

    @Override
    public UpdateControl<R> reconcile(R resource, Context<R> context) {
        cluster.whileLeading(() -> inject(resource, context));
        return UpdateControl.noUpdate();
    }

    private void inject(R resource, Context<R> context) {
        Result<R, Injecting> result = patch.apply(resource, context, this::injection);
        if (result instanceof Patched<R, Injecting> done) {
            cluster.reporter().reconciledInjection(done.report().ref(), done.report().injected());
        } else if (result instanceof Rejected<R, Injecting> refused) {
            cluster.reporter().reconcileFailed(refused.report().ref(), FailureCause.REJECTED, refused.why());
        }
    }

    /** Decide → the injection's operations; a skip or a failure is reported here and writes nothing. */
    Write<Injecting> injection(Map<String, Object> object) {
        ConfigWatcher.Active active = cluster.config().active();
        if (!active.usable()) {
            return null; // nothing waits on us in this mode; the ConfigMap already carries the Warning
        }
        WorkloadRef ref = WorkloadRef.of(kind, object);
        Plan plan = Plan.decide(active, object, ref.namespace());
        OutcomeReporter reporter = cluster.reporter();
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
        return new Write<>(plan.injectionOps(), new Injecting(ref, injected));
    }
}
