package io.sidecarinitializer.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.sidecarinitializer.cluster.ControllerOptions;
import io.sidecarinitializer.cluster.LogFormat;
import io.sidecarinitializer.cluster.StartupException;
import io.sidecarinitializer.webhook.Webhook;
import io.sidecarinitializer.webhook.WebhookOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** SPEC §7: the mutating admission webhook, as a long-running process in the cluster. */
@Command(name = "webhook", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run the sidecar injector as a mutating admission webhook: POST /inject over HTTPS answers each Pod CREATE "
                    + "(AdmissionReview admission.k8s.io/v1 or v1beta1) with a JSON Patch that adds the sidecar (Kubernetes 1.9+).",
            "Without --tls-cert-file/--tls-key-file it makes its own CA and serving certificate, keeps them in a Secret "
                    + "and writes the CA into the MutatingWebhookConfiguration's caBundle.",
            "Connects like kubectl: KUBECONFIG, ~/.kube/config, or the in-cluster service account."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:stopped by a signal",
            "1:cannot start (API server unreachable, a permission missing, bad certificate files) or the ConfigMap watch ended",
            "2:usage error"})
final class WebhookCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "" + WebhookOptions.DEFAULT_PORT, paramLabel = "PORT",
            description = "HTTPS port of /inject; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--tls-cert-file", paramLabel = "FILE",
            description = "PEM serving certificate (chain, server first); read again when it changes. With --tls-key-file.")
    Path certFile;

    @Option(names = "--tls-key-file", paramLabel = "FILE", description = "PEM private key of --tls-cert-file.")
    Path keyFile;

    @Option(names = "--http-port", defaultValue = "" + ControllerOptions.DEFAULT_HTTP_PORT, paramLabel = "PORT",
            description = "Port of /metrics, /healthz and /readyz; 0 picks a free port, -1 turns them off (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--config-namespace", defaultValue = ControllerOptions.DEFAULT_CONFIG_NAMESPACE, paramLabel = "NS",
            description = "Namespace of the ConfigMaps (default: ${DEFAULT-VALUE}).")
    String configNamespace;

    @Option(names = "--config-map", defaultValue = ControllerOptions.DEFAULT_CONFIG_MAP, paramLabel = "NAME",
            description = "ConfigMap with the 'config' document (default: ${DEFAULT-VALUE}).")
    String configMap;

    @Option(names = "--log-format", defaultValue = "text", paramLabel = "text|json", converter = ControllerCommand.LogFormatConverter.class,
            description = "Log lines as text or as one JSON object per line, on stderr (default: ${DEFAULT-VALUE}).")
    LogFormat logFormat;

    @Option(names = "--fail-closed",
            description = "Deny a pod whose injection failed (allowed: false) instead of admitting it without the sidecar "
                    + "and a warning (fail-open, the default).")
    boolean failClosed;

    @Option(names = "--namespace", paramLabel = "NS",
            description = "Namespace of the webhook's Service and certificate Secret (default: $POD_NAMESPACE, else "
                    + WebhookOptions.DEFAULT_NAMESPACE + ").")
    String namespace;

    @Option(names = "--service-name", defaultValue = WebhookOptions.DEFAULT_SERVICE, paramLabel = "NAME",
            description = "The webhook's Service; the self-managed certificate covers its DNS names (default: ${DEFAULT-VALUE}).")
    String serviceName;

    @Option(names = "--cert-secret", defaultValue = WebhookOptions.DEFAULT_CERT_SECRET, paramLabel = "NAME",
            description = "Secret that keeps the self-managed CA and serving certificate (default: ${DEFAULT-VALUE}).")
    String certSecret;

    @Option(names = "--webhook-config", defaultValue = WebhookOptions.DEFAULT_WEBHOOK_CONFIG, paramLabel = "NAME",
            description = "MutatingWebhookConfiguration whose webhooks get our CA as caBundle (default: ${DEFAULT-VALUE}).")
    String webhookConfig;

    @Option(names = "--tls-san", paramLabel = "NAME|IP",
            description = "Extra DNS name or IP address for the self-managed serving certificate (repeatable), e.g. 127.0.0.1.")
    List<String> tlsSans = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        logFormat.apply(); // before anything logs, so even the first line has the chosen format
        Logger log = LoggerFactory.getLogger(WebhookCommand.class);
        PrintWriter err = spec.commandLine().getErr();
        WebhookOptions options;
        try {
            options = new WebhookOptions(port, certFile, keyFile, httpPort, configNamespace, configMap, failClosed,
                    namespace == null || namespace.isBlank() ? WebhookOptions.defaultNamespace() : namespace,
                    serviceName, certSecret, webhookConfig, tlsSans, ControllerOptions.defaultIdentity());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }

        KubernetesClient client;
        try {
            // Pinned: with both the JDK and the Vert.x HTTP clients on the classpath fabric8 would pick one at random.
            client = new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory()).build();
        } catch (RuntimeException e) {
            err.println("webhook: cannot configure the Kubernetes client: " + e.getMessage());
            err.flush();
            return Main.EXIT_BAD_INPUT;
        }
        Webhook webhook;
        try {
            webhook = Webhook.start(client, options);
        } catch (StartupException e) {
            err.println("webhook: " + e.getMessage());
            err.flush();
            client.close();
            return Main.EXIT_BAD_INPUT;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            webhook.close();
            client.close();
        }, "webhook-shutdown"));
        try {
            String reason = webhook.stopped().toCompletableFuture().get();
            log.error("Exiting: {}", reason);
            return Main.EXIT_BAD_INPUT;
        } catch (ExecutionException e) {
            log.error("Exiting: {}", e.getCause().toString());
            return Main.EXIT_BAD_INPUT;
        } finally {
            webhook.close();
            client.close();
        }
    }
}
