package io.sidecarinitializer.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidecarinitializer.cluster.ConfigWatcher;
import io.sidecarinitializer.cluster.ControllerMetrics;
import io.sidecarinitializer.cluster.EventRecorder;
import io.sidecarinitializer.cluster.ProbeServer;
import io.sidecarinitializer.cluster.StartupErrors;
import io.sidecarinitializer.cluster.StartupException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §7, the webhook front: the ConfigMaps watched as the controller watches them, a serving certificate
 * (files, or self-managed), and the HTTPS server whose every answer comes from the engine. Ready once the
 * configuration is loaded and TLS is serving.
 */
public final class Webhook implements AutoCloseable {
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger log = LoggerFactory.getLogger(Webhook.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> resources = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<String> stopped = new CompletableFuture<>();
    private ConfigWatcher config;
    private ProbeServer http;
    private WebhookServer server;
    private volatile boolean closed;

    private Webhook() {}

    /** Starts everything and returns once {@code /inject} is served; fails with a message that says what to fix. */
    public static Webhook start(KubernetesClient client, WebhookOptions options) {
        return start(client, options, Clock.systemUTC());
    }

    static Webhook start(KubernetesClient client, WebhookOptions options, Clock clock) {
        Webhook webhook = new Webhook();
        try {
            webhook.run(client, options, clock);
            return webhook;
        } catch (Exception e) {
            webhook.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof StartupException s ? s : new StartupException(StartupErrors.explain(e, client), e);
        }
    }

    private void run(KubernetesClient client, WebhookOptions options, Clock clock) throws Exception {
        // Files first: a wrong path or a key that does not match fails at once, before any API call.
        CertificateFiles files = null;
        TlsCredentials firstFromFiles = null;
        if (!options.selfManagedCertificates()) {
            files = new CertificateFiles(options.certFile(), options.keyFile());
            resources.add(files);
            try {
                firstFromFiles = files.read();
            } catch (java.io.IOException e) {
                throw new StartupException("cannot read the certificate files: " + e, e);
            } catch (IllegalArgumentException e) {
                throw new StartupException("cannot use the certificate files: " + e.getMessage(), e);
            }
        }
        if (options.httpPort() != -1) {
            http = ProbeServer.start(options.httpPort(), registry, this::isReady, this::readiness);
            resources.add(http);
        }
        EventRecorder events = new EventRecorder(client, options.identity(), () -> false);
        resources.add(events);
        config = new ConfigWatcher(client, options.configNamespace(), options.configMap(), new ControllerMetrics(registry), events);
        resources.add(config);
        ObjectMapper json = new ObjectMapper();
        PodAdmission admission = new PodAdmission(() -> config.active().injector(), options.failClosed(), json);
        ReviewHandler handler = new ReviewHandler(admission, new AdmissionMetrics(registry), json);
        SelfManagedCertificates certificates = null;
        if (options.selfManagedCertificates()) {
            List<String> names = CertificateBundle.serviceNames(options.serviceName(), options.namespace(), options.tlsSans());
            certificates = new SelfManagedCertificates(client, options.namespace(), options.certSecret(), options.webhookConfig(),
                    names, clock);
            resources.add(certificates);
        }

        // Neither Vert.x, the certificate nor the JVM's metrics need the configuration: they are made while the ConfigMaps
        // are listed. The server listens only once all are there, so no review is answered without a configuration.
        ExecutorService starting = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "webhook-start");
            t.setDaemon(true);
            return t;
        });
        try {
            CompletableFuture<WebhookServer> prepared = CompletableFuture.supplyAsync(() -> {
                WebhookServer s = WebhookServer.prepare(handler);
                resources.add(0, s);
                return s;
            }, starting);
            CompletableFuture<TlsCredentials> firstCredentials = certificates == null
                    ? CompletableFuture.completedFuture(firstFromFiles)
                    : CompletableFuture.supplyAsync(certificates::check, starting);
            CompletableFuture<WebhookServer> serving = prepared.thenCombineAsync(firstCredentials, WebhookServer::withCertificate, starting);
            CompletableFuture<Void> jvmMetrics = options.httpPort() == -1 ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.runAsync(() -> resources.add(ControllerMetrics.bindJvm(registry)), starting);
            try {
                config.start(SYNC_TIMEOUT);
            } finally {
                // Whatever happened, let all finish, so that what they made is in resources for close().
                CompletableFuture.allOf(serving, jvmMetrics).exceptionally(e -> null).join();
            }
            config.stopped().whenComplete((ignored, error) -> stop("the ConfigMap watch in " + options.configNamespace() + " ended"
                    + (error == null ? "" : ": " + error.getMessage())));
            result(jvmMetrics);
            WebhookServer ready = result(serving);
            ready.listen(options.port());
            server = ready;
        } finally {
            starting.shutdown();
        }
        if (certificates != null) {
            certificates.start(server::use);
        } else {
            files.start(server::use, CertificateFiles.POLL_INTERVAL);
        }
    }

    /** What a start step returned, or the exception it threw, as it threw it. */
    private static <T> T result(CompletableFuture<T> step) throws Exception {
        try {
            return step.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Ready: the configuration is decided and TLS is serving. */
    public boolean isReady() {
        return !closed && server != null && config != null && config.isLoaded();
    }

    public String readiness() {
        if (closed) {
            return "stopping";
        }
        if (config == null || !config.isLoaded()) {
            return "not ready: the ConfigMaps are not loaded yet";
        }
        if (server == null) {
            return "not ready: TLS is not serving yet";
        }
        String problem = config.active().problem();
        return "ready" + (problem == null ? "" : " (" + problem + ")");
    }

    /** The HTTPS port {@code /inject} is served on. */
    public int port() {
        return server.port();
    }

    /** The port of /metrics, /healthz and /readyz. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public PrometheusMeterRegistry meterRegistry() {
        return registry;
    }

    /** Completes with a reason when the webhook can no longer do its work (the ConfigMap watch ended). */
    public CompletionStage<String> stopped() {
        return stopped;
    }

    private void stop(String reason) {
        if (!closed) {
            stopped.complete(reason);
        }
    }

    @Override
    public void close() {
        closed = true;
        List<AutoCloseable> all;
        synchronized (resources) {
            all = new ArrayList<>(resources);
            resources.clear();
        }
        for (AutoCloseable r : all) {
            try {
                r.close();
            } catch (Exception e) {
                log.debug("Closing {}: {}", r.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
