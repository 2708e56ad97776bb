package io.sidecarinitializer.cli;

import io.sidecarinitializer.cluster.ControllerOptions;
import io.sidecarinitializer.webhook.Webhook;
import io.sidecarinitializer.webhook.WebhookOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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

    @CommandLine.Mixin
    ClusterFlags cluster;

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
        cluster.logFormat.apply(); // before anything logs, so even the first line has the chosen format
        WebhookOptions options;
        try {
            options = new WebhookOptions(port, certFile, keyFile, cluster.httpPort, cluster.configNamespace, cluster.configMap,
                    failClosed, namespace == null || namespace.isBlank() ? WebhookOptions.defaultNamespace() : namespace,
                    serviceName, certSecret, webhookConfig, tlsSans, ControllerOptions.defaultIdentity());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return ClusterProcess.run("webhook", spec.commandLine().getErr(), client -> {
            Webhook webhook = Webhook.start(client, options);
            return new ClusterProcess.Running(webhook.stopped(), webhook::close);
        });
    }
}
