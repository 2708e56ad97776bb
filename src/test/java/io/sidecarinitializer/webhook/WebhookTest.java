package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.cluster.StartupException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole front on the CRUD mock API server: self-managed certificates, readiness, ConfigMap edits, metrics. */
class WebhookTest {
    private static final byte[] POD_CREATE = Reviews.podCreate("shop",
            Reviews.pod("apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: a-\nspec:\n  containers:\n  - name: a\n    image: x\n"));

    private final ApiServer api = ApiServer.modern();
    private Webhook webhook;

    @AfterEach
    void stop() {
        if (webhook != null) {
            webhook.close();
        }
        api.close();
    }

    private static WebhookOptions options(Path cert, Path key) {
        return new WebhookOptions(0, cert, key, 0, ApiServer.CONFIG_NS, "istio-inject", false, "istio-system", "sidecar-injector",
                "sidecar-injector-certs", "sidecar-injector", List.of("127.0.0.1", "localhost"), "test");
    }

    private HttpClient trusting(X509Certificate ca) {
        return HttpClient.newBuilder().sslContext(TestCertificates.trusting(ca)).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private String inject(HttpClient client) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + webhook.port() + "/inject"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(POD_CREATE)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private HttpResponse<String> probe(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhook.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withNoCertificateFilesItServesACertificateTheSecretsCaVouchesFor() throws Exception {
        webhook = Webhook.start(api.client, options(null, null));

        Secret secret = api.client.secrets().inNamespace("istio-system").withName("sidecar-injector-certs").get();
        String caPem = new String(Base64.getDecoder().decode(secret.getData().get("ca.crt")), StandardCharsets.US_ASCII);
        HttpClient client = trusting(TlsCredentials.certificates(caPem, "ca.crt").get(0));

        assertThat(inject(client)).contains("\"patchType\":\"JSONPatch\"");
        assertThat(webhook.isReady()).isTrue();
        assertThat(probe("/readyz").statusCode()).isEqualTo(200);
        assertThat(probe("/metrics").body())
                .contains("sidecar_admission_requests_total{reason=\"policy_enabled\",result=\"injected\"} 1.0")
                .contains("sidecar_admission_latency_seconds_bucket");
    }

    @Test
    void aConfigMapEditReachesTheNextPodWithoutARestart() throws Exception {
        webhook = Webhook.start(api.client, options(null, null));
        Secret secret = api.client.secrets().inNamespace("istio-system").withName("sidecar-injector-certs").get();
        HttpClient client = trusting(TlsCredentials.certificates(
                new String(Base64.getDecoder().decode(secret.getData().get("ca.crt")), StandardCharsets.US_ASCII), "ca").get(0));
        assertThat(inject(client)).contains("\"patchType\":\"JSONPatch\"");

        api.putConfig("istio-inject", "config", "policy: disabled\n");

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String answer = inject(client);
        while (answer.contains("patchType") && System.nanoTime() < deadline) {
            Thread.sleep(100);
            answer = inject(client);
        }
        assertThat(answer).doesNotContain("patchType").contains("\"allowed\":true");
    }

    @Test
    void withCertificateFilesItServesThem(@TempDir Path dir) throws Exception {
        TestCertificates certs = new TestCertificates();
        TlsCredentials pair = certs.serving();
        Path cert = Files.writeString(dir.resolve("tls.crt"), pair.certificateChain());
        Path key = Files.writeString(dir.resolve("tls.key"), pair.privateKey());

        webhook = Webhook.start(api.client, options(cert, key));

        assertThat(inject(trusting(certs.ca.certificate()))).contains("\"allowed\":true");
        assertThat(api.client.secrets().inNamespace("istio-system").withName("sidecar-injector-certs").get())
                .as("no Secret in file mode").isNull();
    }

    @Test
    void certificateFilesThatDoNotMatchStopTheStartNamingTheFile(@TempDir Path dir) throws Exception {
        TestCertificates certs = new TestCertificates();
        Path cert = Files.writeString(dir.resolve("tls.crt"), certs.serving().certificateChain());
        Path key = Files.writeString(dir.resolve("tls.key"), certs.serving().privateKey());

        assertThatThrownBy(() -> Webhook.start(api.client, options(cert, key))).isInstanceOf(StartupException.class)
                .hasMessageContaining("cannot use the certificate files: --tls-key-file " + key)
                .hasMessageContaining("does not belong to the first certificate");
        assertThatThrownBy(() -> Webhook.start(api.client, options(dir.resolve("missing.crt"), key)))
                .hasMessageContaining("cannot read the certificate files").hasMessageContaining("missing.crt");
    }

    @Test
    void aForbiddenSecretStopsTheStartWithTheServersWordsAndLeavesNothingServing() throws Exception {
        api.dispatcher.forbidGets("/api/v1/namespaces/istio-system/secrets", "secrets \"sidecar-injector-certs\" is forbidden: User "
                + "\"system:serviceaccount:istio-system:sidecar-injector\" cannot get resource \"secrets\" in the namespace \"istio-system\"");
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        WebhookOptions options = new WebhookOptions(port, null, null, -1, ApiServer.CONFIG_NS, "istio-inject", false, "istio-system",
                "sidecar-injector", "sidecar-injector-certs", "sidecar-injector", List.of("127.0.0.1"), "test");

        assertThatThrownBy(() -> Webhook.start(api.client, options)).isInstanceOf(StartupException.class)
                .hasMessageStartingWith("forbidden: secrets \"sidecar-injector-certs\" is forbidden");
        try (java.net.ServerSocket again = new java.net.ServerSocket(port)) {
            assertThat(again.getLocalPort()).as("the HTTPS port is free again: nothing was left listening").isEqualTo(port);
        }
    }
}
