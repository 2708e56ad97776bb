package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.config.ResolvedControllerConfiguration;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.sidecarinitializer.initializer.IncludeUninitialized;
import io.sidecarinitializer.initializer.InitializerReconciler;
import io.sidecarinitializer.inject.WorkloadKind;
import io.sidecarinitializer.kube.GuardedPatch;
import io.sidecarinitializer.kube.OperatorClient;
import io.sidecarinitializer.kube.PendingStore;
import io.sidecarinitializer.kube.TextStore;
import io.sidecarinitializer.kube.WorkloadCache;
import io.sidecarinitializer.kube.WorkloadResources;
import io.sidecarinitializer.reconcile.InjectionReconciler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.BiConsumer;

/** The java-operator-sdk operator, its client, and one reconciler of the mode's front per watched kind. */
final class WorkloadOperator {
    /** How long startup waits for the first list of each informer. */
    static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);
    /** Objects per page when an informer lists its kind (limit/continue; servers before 1.9 answer with one page). */
    static final long LIST_PAGE = 500;
    /** Periodic re-reconciliation, so a config edit eventually reaches existing workloads in reconcile mode. */
    static final Duration RESYNC = Duration.ofMinutes(10);

    private WorkloadOperator() {}

    /**
     * The operator's client, reading workloads as the mode's cache keeps them. In initializer mode its workload GETs
     * carry includeUninitialized=true: objects with pending initializers are invisible to LIST and WATCH without it.
     */
    static KubernetesClient client(KubernetesClient client, Mode mode, List<Class<? extends WorkloadResources.WorkloadResource>> types,
                                   ExecutorService executor) {
        return mode == Mode.INITIALIZER
                ? OperatorClient.of(client, types, PendingStore.reader(types),
                        Map.of(IncludeUninitialized.NAME, new IncludeUninitialized(List.copyOf(types))), executor)
                : OperatorClient.of(client, types, TextStore.reader(types), Map.of(), executor);
    }

    static Operator create(KubernetesClient operatorClient, ControllerOptions options, Leadership leadership, boolean elect,
                           BiConsumer<String, Throwable> informerStopped) {
        return new Operator(o -> {
            o.withKubernetesClient(operatorClient)
                    .withCloseClientOnStop(false)
                    // Primary resources are patched by us with JSON Patch; SSA is not what the initializer protocol needs.
                    .withUseSSAToPatchPrimaryResource(false)
                    // The reconcilers never change what they are handed (they read a converted tree), so no copy.
                    .withResourceCloner(WorkloadOperator::unchanged)
                    .checkingCRDAndValidateLocalModel(false)
                    .withStopOnInformerErrorDuringStartup(true)
                    .withCacheSyncTimeout(SYNC_TIMEOUT)
                    // The SDK's default handler exits the JVM; we report through SidecarController.stopped() instead.
                    .withInformerStoppedHandler((informer, error) -> informerStopped.accept(String.valueOf(informer), error));
            if (elect) {
                o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder
                        .aLeaderElectionConfiguration(options.leaseName())
                        .withLeaseNamespace(options.configNamespace())
                        .withIdentity(options.identity())
                        .withLeaderCallbacks(leadership.callbacks())
                        // A library must not exit the JVM; Leadership stops our PATCHes and tells the command.
                        .withExitOnStopLeading(false)
                        .build());
            }
        });
    }

    private static <R extends HasMetadata> R unchanged(R resource) {
        return resource;
    }

    /** Registers the mode's reconciler for {@code type}, with the mode's cache as its informer's store. */
    static <R extends WorkloadResources.WorkloadResource> void register(Operator operator, Mode mode, Class<R> type,
                                                                         KubernetesClient client, FrontServices services) {
        WorkloadKind kind = WorkloadKind.forKind(WorkloadResources.kind(type))
                .orElseThrow(() -> new IllegalArgumentException(type + " is not a workload kind"));
        WorkloadCache<R> cache = mode == Mode.INITIALIZER
                ? new PendingStore<>(type, client.getKubernetesSerialization())
                : new TextStore<>(type);
        GuardedPatch<R> patch = new GuardedPatch<>(client, cache);
        Reconciler<R> reconciler = mode == Mode.INITIALIZER
                ? new InitializerReconciler<>(kind, patch, services)
                : new InjectionReconciler<>(kind, patch, services);
        String name = "sidecar-" + WorkloadResources.plural(type);
        InformerConfiguration<R> informer = InformerConfiguration.builder(type).withName(name)
                // Lists in pages, so a large cluster's workloads are never all in memory at once as one list.
                .withInformerListLimit(LIST_PAGE)
                .withItemStore(cache)
                .buildForController();
        operator.register(reconciler, new ResolvedControllerConfiguration<>(
                name,
                false, // pending initializers live in metadata, which does not bump generation
                reconciler.getClass().getCanonicalName(),
                null, // default retry with back-off
                null, // default rate limiter
                RESYNC,
                null, // no finalizer: our reconcilers are no Cleaners
                Map.of(),
                name,
                operator.getConfigurationService(),
                informer,
                false,
                null));
    }
}
