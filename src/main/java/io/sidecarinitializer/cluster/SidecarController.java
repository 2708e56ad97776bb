package io.sidecarinitializer.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.impl.KubernetesClientImpl;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationService;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.config.ResolvedControllerConfiguration;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidecarinitializer.initializer.IncludeUninitialized;
import io.sidecarinitializer.initializer.WorkloadReconciler;
import io.sidecarinitializer.inject.WorkloadKind;
import io.sidecarinitializer.kube.GzipResponses;
import io.sidecarinitializer.kube.WorkloadResources;
import io.sidecarinitializer.kube.WorkloadStore;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running initializer controller (SPEC §5): a java-operator-sdk operator with one
 * {@link WorkloadReconciler} per workload kind, the configuration watch, leader election, Events, metrics
 * and the probe endpoint. Start it with {@link #start}; {@link #close} stops all of it and never exits the
 * JVM, so the CLI, the demo, the benchmark and tests share this entry point.
 */
public final class SidecarController implements AutoCloseable {
    /** How long startup waits for the first list of each informer. */
    static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);
    /** Objects per page when an informer lists its kind (limit/continue; servers before 1.9 answer with one page). */
    static final long LIST_PAGE = 500;
    /** Periodic re-reconciliation, so a config edit eventually reaches existing workloads in reconcile mode. */
    static final Duration RESYNC = Duration.ofMinutes(10);
    private static final Logger log = LoggerFactory.getLogger(SidecarController.class);

    private final ControllerOptions options;
    private final ControllerMetrics metrics;
    private final PrometheusMeterRegistry registry;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Mode mode;
    private Leadership leadership;
    private ConfigWatcher config;
    private Operator operator;
    private ProbeServer http;
    private List<String> watched = List.of();
    private final CompletableFuture<String> stopped = new CompletableFuture<>();
    private volatile boolean started;
    private volatile boolean closed;

    private SidecarController(ControllerOptions options) {
        this.options = options;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.metrics = new ControllerMetrics(registry);
    }

    /**
     * Starts the controller on a client the caller owns (and closes). Returns once every informer has
     * listed its objects and a configuration is in force; {@link #isReady()} follows once every watch is
     * open too ({@link #awaitReady}). Throws {@link StartupException} with a message naming the cause
     * (unreachable API server, a forbidden verb/resource), after undoing everything it started.
     */
    public static SidecarController start(KubernetesClient client, ControllerOptions options) {
        return start(client, options, Clock.systemUTC());
    }

    static SidecarController start(KubernetesClient client, ControllerOptions options, Clock clock) {
        SidecarController controller = new SidecarController(options);
        try {
            controller.run(client, clock);
            return controller;
        } catch (RuntimeException | IOException e) {
            controller.close();
            throw e instanceof StartupException s ? s : new StartupException(explain(e, client), e);
        } catch (Exception e) {
            controller.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new StartupException(explain(e, client), e);
        }
    }

    private void run(KubernetesClient client, Clock clock) throws Exception {
        if (options.httpPort() != ControllerOptions.NO_HTTP) {
            resources.add(bindJvmMetrics(registry));
            http = ProbeServer.start(options.httpPort(), registry, this::isReady, this::readiness);
            resources.add(http);
        }
        ApiDiscovery discovery = new ApiDiscovery(client);
        mode = discovery.resolve(options.mode());
        List<Class<? extends WorkloadResources.WorkloadResource>> types = watchedTypes(discovery);
        boolean elect = options.leaderElection();
        if (elect && !discovery.servesLeases()) {
            log.warn("The API server does not serve {} leases (Kubernetes before 1.14); leader election is off. "
                    + "Replicas stay safe (every PATCH is guarded by test operations) but do duplicate work.",
                    ApiDiscovery.LEASE_API);
            elect = false;
        }
        Permissions.check(client, Permissions.needs(mode, types, options.configNamespace(), elect));

        leadership = elect ? Leadership.elected(options.identity()) : Leadership.always(options.identity());
        leadership.lost().thenAccept(stopped::complete);
        Activity activity = new Activity();
        EventRecorder events = new EventRecorder(client, options.identity(), activity::busy);
        resources.add(events);
        config = new ConfigWatcher(client, options.configNamespace(), options.configMapName(), metrics, events);
        resources.add(config);
        config.start(SYNC_TIMEOUT);
        config.stopped().whenComplete((ignored, error) -> informerStopped("ConfigMaps in " + options.configNamespace(), error));

        KubernetesClient operatorClient = operatorClient(client, types);
        OutcomeReporter reporter = new OutcomeReporter(events, metrics);
        operator = newOperator(operatorClient, elect);
        for (Class<? extends WorkloadResources.WorkloadResource> type : types) {
            register(new WorkloadReconciler<>(type, mode, operatorClient, config, leadership, reporter, metrics, clock, activity));
        }
        log.atInfo()
                .addKeyValue("mode", mode.flag())
                .log("Starting the sidecar controller in {} mode as {}: watching {} in all namespaces; config {}/{}; {}",
                        mode.flag(), options.identity(), watched, options.configNamespace(), options.configMapName(),
                        elect ? "leader election on Lease " + options.configNamespace() + "/" + options.leaseName() : "no leader election");
        operator.start();
        started = true;
        log.info("Sidecar controller started; every workload informer has listed its objects");
    }

    /**
     * The client the operator watches and patches with. It shares the caller's HTTP client (closing it would
     * close the caller's too, so it is left to the caller) and has its own executor, stopped on close.
     *
     * <p>In initializer mode its workload GETs carry includeUninitialized=true: objects with pending
     * initializers are invisible to LIST and WATCH without it.
     *
     * <p>Its serialization knows our carrier class for each watched kind. A watch event's object is read as
     * whatever class is registered for its apiVersion and kind; without this that is fabric8's typed model,
     * which the watch then converts into the carrier, object by object: a second full pass over every event.
     * It is a serialization of its own, so the caller's client keeps reading Deployments as it did. In reconcile
     * mode it reads each workload as its stand-in carrying the object's compressed text
     * ({@link WorkloadStore#readingStandIns}); whoever needs the whole object asks the store for it. In
     * initializer mode it reads an initialized workload as its metadata alone
     * ({@link WorkloadStore#readingInitializedAsMetadata}).
     */
    private KubernetesClient operatorClient(KubernetesClient client,
                                            List<Class<? extends WorkloadResources.WorkloadResource>> types) {
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "operator-client");
            t.setDaemon(true);
            return t;
        });
        resources.add(executor::shutdownNow);
        HttpClient.DerivedClientBuilder http = client.getHttpClient().newBuilder();
        http.addOrReplaceInterceptor(GzipResponses.NAME, new GzipResponses());
        if (mode == Mode.INITIALIZER) {
            http.addOrReplaceInterceptor(IncludeUninitialized.NAME, new IncludeUninitialized(List.copyOf(types)));
        }
        ObjectMapper mapper = new ObjectMapper().registerModule(mode == Mode.RECONCILE
                ? WorkloadStore.readingStandIns(types) // see WorkloadStore.everyObjectAsText
                : WorkloadStore.readingInitializedAsMetadata(types));
        KubernetesSerialization serialization = new KubernetesSerialization(mapper, true);
        types.forEach(serialization::registerKubernetesResource);
        return new KubernetesClientImpl(http.build(), client.getConfiguration(), () -> executor, serialization);
    }

    private List<Class<? extends WorkloadResources.WorkloadResource>> watchedTypes(ApiDiscovery discovery) {
        List<WorkloadKind> kinds = new ArrayList<>(WorkloadResources.DEFAULT_KINDS);
        if (options.allKinds()) {
            kinds.addAll(WorkloadResources.EXTRA_KINDS);
        }
        List<Class<? extends WorkloadResources.WorkloadResource>> types = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (WorkloadKind kind : kinds) {
            Optional<Class<? extends WorkloadResources.WorkloadResource>> type = discovery.carrierFor(kind);
            if (type.isEmpty()) {
                log.warn("The API server serves none of {} for {}; not watching them", kind.apiVersions(), kind.kind());
                continue;
            }
            types.add(type.get());
            names.add(WorkloadResources.qualifiedResource(type.get()) + "/" + WorkloadResources.version(type.get()));
        }
        if (types.isEmpty()) {
            throw new StartupException("the API server serves none of the workload kinds " + kinds);
        }
        watched = List.copyOf(names);
        return types;
    }

    private Operator newOperator(KubernetesClient operatorClient, boolean elect) {
        return new Operator(o -> {
            o.withKubernetesClient(operatorClient)
                    .withCloseClientOnStop(false)
                    // Primary resources are patched by us with JSON Patch; SSA is not what the initializer protocol needs.
                    .withUseSSAToPatchPrimaryResource(false)
                    // The SDK copies each object before handing it to a reconciler, in case the reconciler changes
                    // it. WorkloadReconciler never does (it reads a converted tree), so it gets the cached object.
                    .withResourceCloner(SidecarController::unchanged)
                    .checkingCRDAndValidateLocalModel(false)
                    .withStopOnInformerErrorDuringStartup(true)
                    .withCacheSyncTimeout(SYNC_TIMEOUT)
                    // The SDK's default handler exits the JVM; we report through stopped() instead.
                    .withInformerStoppedHandler((informer, error) -> informerStopped(String.valueOf(informer), error));
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

    private <R extends WorkloadResources.WorkloadResource> void register(WorkloadReconciler<R> reconciler) {
        ConfigurationService service = operator.getConfigurationService();
        Class<R> type = reconciler.resourceType();
        String name = "sidecar-" + WorkloadResources.plural(type);
        InformerConfiguration<R>.Builder builder = InformerConfiguration.builder(type).withName(name)
                // Lists in pages, so a large cluster's workloads are never all in memory at once as one list.
                .withInformerListLimit(LIST_PAGE);
        // Sized by what the reconciler reads: see WorkloadStore.
        builder.withItemStore(reconciler.store());
        InformerConfiguration<R> informer = builder.buildForController();
        operator.register(reconciler, new ResolvedControllerConfiguration<>(
                name,
                false, // pending initializers live in metadata, which does not bump generation
                WorkloadReconciler.class.getCanonicalName(),
                null, // default retry with back-off
                null, // default rate limiter
                RESYNC,
                null, // no finalizer: WorkloadReconciler is no Cleaner
                Map.of(),
                name,
                service,
                informer,
                false,
                null));
    }

    /** Informers synced and a configuration decided; a standby replica (not leader) is ready too. */
    public boolean isReady() {
        return started && !closed && config != null && config.isLoaded()
                && operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    /** Waits until {@link #isReady()}; false when the time runs out first. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!isReady()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /**
     * The JVM's own gauges on /metrics (heap and non-heap by pool, GC pauses, threads, classes, CPU, uptime, open
     * files), so a memory limit can be sized from what the controller uses. Closing it removes the GC listener.
     */
    public static AutoCloseable bindJvmMetrics(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return gc;
    }

    /** The Prometheus registry behind /metrics. */
    public PrometheusMeterRegistry meterRegistry() {
        return registry;
    }

    /** The port /metrics, /healthz and /readyz listen on; -1 when the HTTP endpoint is off. */
    public int httpPort() {
        return http == null ? ControllerOptions.NO_HTTP : http.port();
    }

    /** The mode in use: {@code auto} resolved by discovery. */
    public Mode mode() {
        return mode;
    }

    /** True while this replica may patch: it holds the Lease, or leader election is off. */
    public boolean isLeader() {
        return leadership != null && leadership.isLeader();
    }

    /**
     * Completes, with a reason, when the controller stops working on its own (it lost the leader Lease, or a
     * watch failed for good); the command then exits so that Kubernetes restarts it. Never completes on
     * {@link #close}.
     */
    public CompletionStage<String> stopped() {
        return stopped;
    }

    private void informerStopped(String what, Throwable error) {
        if (error != null && started && !closed) {
            log.error("The watch of {} failed for good: {}", what, error.toString());
            stopped.complete("the watch of " + what + " failed: " + error.getMessage());
        }
    }

    /** A line for /readyz and logs. */
    public String readiness() {
        if (closed) {
            return "stopped";
        }
        if (!started) {
            return "starting";
        }
        ConfigWatcher.Active active = config.active();
        String state = isReady() ? "ready" : "not ready: informers not synced";
        String role = leadership.isElected() ? (leadership.isLeader() ? "leader" : "standby, leader " + leadership.leader()) : "no leader election";
        String configState = active.problem() == null ? "config ok" : "config problem: " + active.problem();
        return state + "; mode " + mode.flag() + "; " + role + "; " + configState;
    }

    /** Stops the operator, informers, Lease renewal and HTTP endpoint; safe to call twice. Never exits the JVM. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (leadership != null) {
            leadership.closing();
        }
        if (operator != null) {
            try {
                operator.stop();
            } catch (RuntimeException e) {
                log.warn("Stopping the operator: {}", e.toString());
            }
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("Stopping {}: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        if (started) {
            log.info("Sidecar controller stopped");
        }
    }

    /** A message an operator can act on: which server, which verb and resource. */
    public static String explain(Throwable error, KubernetesClient client) {
        String server = client.getConfiguration().getMasterUrl();
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException k && k.getCode() == 403) {
                return "forbidden: " + statusMessage(k);
            }
            if (t instanceof KubernetesClientException k && k.getCode() == 401) {
                return "unauthorized: the API server at " + server + " rejected our credentials: " + statusMessage(k);
            }
            if (t instanceof ConnectException) {
                return "cannot reach the API server at " + server + ": connection refused"
                        + (t.getMessage() == null ? "" : " (" + t.getMessage() + ")");
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return "cannot reach the API server at " + server + ": unknown host" + (t.getMessage() == null ? "" : " " + t.getMessage());
            }
            if (t instanceof SSLException) {
                return "cannot reach the API server at " + server + ": TLS failed: " + t.getMessage();
            }
        }
        StringBuilder message = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (message.indexOf(m) < 0) {
                message.append(message.isEmpty() ? "" : ": ").append(m);
            }
        }
        return "cannot start the controller against " + server + ": " + message;
    }

    private static String statusMessage(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        return e.getMessage();
    }
}
