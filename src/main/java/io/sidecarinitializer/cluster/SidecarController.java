package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidecarinitializer.kube.WorkloadResources;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running controller (SPEC §5): a java-operator-sdk operator with one reconciler of the mode's front per
 * workload kind ({@link WorkloadOperator}), the configuration watch, leader election, Events, metrics
 * and the probe endpoint. Start it with {@link #start}; {@link #close} stops all of it and never exits the
 * JVM, so the CLI, the demo, the benchmark and tests share this entry point.
 */
public final class SidecarController implements AutoCloseable {
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
            throw e instanceof StartupException s ? s : new StartupException(StartupErrors.explain(e, client), e);
        } catch (Exception e) {
            controller.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new StartupException(StartupErrors.explain(e, client), e);
        }
    }

    private void run(KubernetesClient client, Clock clock) throws Exception {
        if (options.httpPort() != ControllerOptions.NO_HTTP) {
            resources.add(ControllerMetrics.bindJvm(registry));
            http = ProbeServer.start(options.httpPort(), registry, this::isReady, this::readiness);
            resources.add(http);
        }
        ApiDiscovery discovery = new ApiDiscovery(client);
        mode = discovery.resolve(options.mode());
        List<Class<? extends WorkloadResources.WorkloadResource>> types = WatchedKinds.choose(discovery, options.allKinds());
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
        config.start(WorkloadOperator.SYNC_TIMEOUT);
        config.stopped().whenComplete((ignored, error) -> informerStopped("ConfigMaps in " + options.configNamespace(), error));

        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "operator-client");
            t.setDaemon(true);
            return t;
        });
        resources.add(executor::shutdownNow);
        KubernetesClient operatorClient = WorkloadOperator.client(client, mode, types, executor);
        FrontServices services = new FrontServices(config, leadership, new OutcomeReporter(events, metrics), metrics, activity, clock);
        operator = WorkloadOperator.create(operatorClient, options, leadership, elect, this::informerStopped);
        for (Class<? extends WorkloadResources.WorkloadResource> type : types) {
            WorkloadOperator.register(operator, mode, type, operatorClient, services);
        }
        log.atInfo()
                .addKeyValue("mode", mode.flag())
                .log("Starting the sidecar controller in {} mode as {}: watching {} in all namespaces; config {}/{}; {}",
                        mode.flag(), options.identity(), WatchedKinds.names(types), options.configNamespace(), options.configMapName(),
                        elect ? "leader election on Lease " + options.configNamespace() + "/" + options.leaseName() : "no leader election");
        operator.start();
        started = true;
        log.info("Sidecar controller started; every workload informer has listed its objects");
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
}
