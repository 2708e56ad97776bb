package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Poll;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook with {@code --tls-cert-file}/{@code --tls-key-file} (a mounted Secret or cert-manager): the API server
 * trusts the CA we register, and a rotated pair of files is served without a restart. Its own configuration and
 * namespace label, so it never meets {@link WebhookIT}'s webhook.
 */
@RealKubeApiServer
class WebhookCertificateFilesIT {
    private static final Duration PROCESSING = Duration.ofSeconds(60);
    private static final String CONFIGURATION = "sidecar-injector-e2e-files";
    private static final String LABEL_KEY = "sidecar-e2e-files";

    @TempDir
    static Path certs;
    private static KubeEnvironment env;
    private static Kubectl kubectl;
    private static Pods pods;
    private static int port;
    private static ControllerProcess webhook;
    private static String namespace;
    /** The self-managed path's Secret as it was before this webhook started ("" when there is none). */
    private static String secretBefore;

    @BeforeAll
    static void startWithCertificateFiles(KubeEnvironment environment) throws Exception {
        env = environment;
        kubectl = env.kubectl();
        pods = new Pods(kubectl);
        env.applyManifests().assertOk(); // its ServiceAccount, RBAC and ConfigMaps
        openssl("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=e2e-files-ca");
        issue("tls");
        port = ControllerProcess.freePort();
        Map<String, Object> webhookEntry = new LinkedHashMap<>();
        webhookEntry.put("name", "files.sidecar-injector.istio.io");
        webhookEntry.put("clientConfig", Map.of("url", "https://127.0.0.1:" + port + "/inject",
                "caBundle", Base64.getEncoder().encodeToString(Files.readAllBytes(certs.resolve("ca.crt")))));
        webhookEntry.put("rules", List.of(Map.of("operations", List.of("CREATE"), "apiGroups", List.of(""), "apiVersions", List.of("v1"),
                "resources", List.of("pods"))));
        webhookEntry.put("namespaceSelector", Map.of("matchLabels", Map.of(LABEL_KEY, "enabled")));
        webhookEntry.put("failurePolicy", "Ignore");
        webhookEntry.put("sideEffects", "None");
        webhookEntry.put("admissionReviewVersions", List.of("v1"));
        kubectl.okWithInput(new ObjectMapper().writeValueAsString(Map.of("apiVersion", "admissionregistration.k8s.io/v1",
                "kind", "MutatingWebhookConfiguration", "metadata", Map.of("name", CONFIGURATION), "webhooks", List.of(webhookEntry))),
                "create", "-f", "-");
        secretBefore = certSecretVersion();
        // Under the webhook's ServiceAccount: with files it needs no Secret and no write to any webhook configuration.
        webhook = env.startWebhook("WebhookCertificateFilesIT-webhook", List.of("--port=" + port,
                "--tls-cert-file=" + certs.resolve("tls.crt"), "--tls-key-file=" + certs.resolve("tls.key"),
                "--config-namespace=istio-system", "--config-map=istio-inject", "--log-format=json", "--namespace=istio-system",
                "--webhook-config=" + CONFIGURATION)).awaitReady(Duration.ofSeconds(90));
        namespace = env.freshNamespace("files");
        kubectl.ok("label", "namespace", namespace, LABEL_KEY + "=enabled");
        pods.awaitServiceAccount(namespace);
    }

    @AfterAll
    static void removeTheConfiguration() {
        try {
            if (webhook != null) {
                webhook.close();
            }
        } finally {
            if (kubectl != null) {
                kubectl.ok("delete", "mutatingwebhookconfiguration", CONFIGURATION, "--ignore-not-found");
            }
        }
    }

    @Test
    void theApiServerTrustsTheGivenCertificateAndARotatedPairIsServedWithoutARestart() throws Exception {
        String proxyImage = new Manifests(env.projectDir()).injectParam("proxyImage");
        // The API server reads namespace labels from its informer: a label milliseconds old may not be seen yet.
        Map<String, Object> first = Poll.value("a pod in " + namespace + " to be injected", PROCESSING, () -> {
            Map<String, Object> pod = pods.create(namespace, "before-" + suffix());
            return Pods.injected(pod) ? pod : null;
        });
        Pods.assertInjected(first, List.of("app"), proxyImage);
        assertThat(served()).isEqualTo(certificate("tls.crt"));
        long pid = webhook.pid();

        // Renewal, as a mounted Secret updates: a new key and certificate from the same CA, each file replaced atomically.
        issue("renewed");
        Files.move(certs.resolve("renewed.key"), certs.resolve("tls.key"), StandardCopyOption.ATOMIC_MOVE);
        Files.move(certs.resolve("renewed.crt"), certs.resolve("tls.crt"), StandardCopyOption.ATOMIC_MOVE);
        X509Certificate renewed = certificate("tls.crt");
        Poll.until("the webhook to serve the renewed certificate", PROCESSING, () -> renewed.equals(served()));

        Pods.assertInjected(pods.create(namespace, "after-" + suffix()), List.of("app"), proxyImage);
        webhook.assertAlive();
        assertThat(webhook.pid()).isEqualTo(pid);
        assertThat(certSecretVersion()).as("with certificate files no Secret is made or changed").isEqualTo(secretBefore);
        assertThat(webhook.log()).as("webhook log %s", webhook.logFile()).doesNotContainIgnoringCase("forbidden");
    }

    /** resourceVersion of Secret istio-system/sidecar-injector-certs ({@link WebhookIT}'s), or "" when there is none. */
    private static String certSecretVersion() {
        return kubectl.ok("get", "secret", "sidecar-injector-certs", "-n", "istio-system", "--ignore-not-found",
                "-o", "jsonpath={.metadata.resourceVersion}").trim();
    }

    /** NAME.key and NAME.crt: a serving key pair for IP 127.0.0.1, signed by ca.crt. */
    private static void issue(String name) {
        openssl(("openssl req -newkey rsa:2048 -nodes -keyout %1$s.key -out %1$s.csr -subj /CN=127.0.0.1 && "
                + "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\nkeyUsage=digitalSignature,keyEncipherment\\n' > %1$s.ext && "
                + "openssl x509 -req -in %1$s.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile %1$s.ext -out %1$s.crt")
                .formatted(name));
    }

    private static void openssl(String script) {
        CommandResult r = CommandResult.run(List.of("bash", "-c", script), Map.of(), certs, null, Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.describe()).isZero();
    }

    private static X509Certificate certificate(String file) throws Exception {
        try (InputStream in = Files.newInputStream(certs.resolve(file))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The certificate the webhook presents right now (whatever it is: this only looks). */
    private static X509Certificate served() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.startHandshake();
            Certificate[] chain = socket.getSession().getPeerCertificates();
            return (X509Certificate) chain[0];
        }
    }

    private static String suffix() {
        return Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
    }
}
