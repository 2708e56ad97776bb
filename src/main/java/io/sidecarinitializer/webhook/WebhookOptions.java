package io.sidecarinitializer.webhook;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code webhook} command's settings.
 *
 * @param port          HTTPS port of {@code /inject} (0: a free one)
 * @param certFile      PEM serving certificate (chain); null for self-managed certificates
 * @param keyFile       PEM private key of {@code certFile}; null with it
 * @param httpPort      port of /metrics, /healthz, /readyz; 0 picks one, -1 turns them off
 * @param failClosed    deny pods whose injection failed instead of admitting them without the sidecar
 * @param namespace     where the self-managed certificate Secret lives (the webhook's own namespace)
 * @param serviceName   the Service in front of the webhook, whose DNS names the certificate covers
 * @param certSecret    the Secret that keeps the self-managed CA and certificate
 * @param webhookConfig the MutatingWebhookConfiguration whose caBundle gets our CA
 * @param tlsSans       extra DNS names or IP addresses for the self-managed serving certificate
 * @param identity      this replica's name in Events
 */
public record WebhookOptions(int port, Path certFile, Path keyFile, int httpPort, String configNamespace, String configMap,
                             boolean failClosed, String namespace, String serviceName, String certSecret, String webhookConfig,
                             List<String> tlsSans, String identity) {
    public static final int DEFAULT_PORT = 9443;
    public static final String DEFAULT_NAMESPACE = "istio-system";
    public static final String DEFAULT_SERVICE = "sidecar-injector";
    public static final String DEFAULT_CERT_SECRET = "sidecar-injector-certs";
    public static final String DEFAULT_WEBHOOK_CONFIG = "sidecar-injector";

    public WebhookOptions {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("--tls-cert-file and --tls-key-file go together: give both, or neither for "
                    + "self-managed certificates");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port: " + port + " is not a port (0-65535)");
        }
        if (httpPort < -1 || httpPort > 65535) {
            throw new IllegalArgumentException("--http-port: " + httpPort + " is not a port (0-65535, or -1 for none)");
        }
        tlsSans = List.copyOf(tlsSans);
    }

    public boolean selfManagedCertificates() {
        return certFile == null;
    }

    /** The namespace the webhook runs in: $POD_NAMESPACE (downward API), else istio-system. */
    public static String defaultNamespace() {
        String ns = System.getenv("POD_NAMESPACE");
        return ns == null || ns.isBlank() ? DEFAULT_NAMESPACE : ns;
    }
}
