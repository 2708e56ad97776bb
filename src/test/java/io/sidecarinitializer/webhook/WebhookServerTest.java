package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTPS server with a real TLS client: reviews, TLS versions, the body cap, certificate reload, a burst. */
class WebhookServerTest {
    private static final byte[] POD_CREATE = Reviews.podCreate("shop",
            Reviews.pod("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: a\n    image: x\n"));

    private final TestCertificates certs = new TestCertificates();
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private WebhookServer server;

    @BeforeEach
    void start() throws Exception {
        ReviewHandler handler = new ReviewHandler(new PodAdmission(() -> Reviews.injector(""), false, Reviews.JSON),
                new AdmissionMetrics(registry), Reviews.JSON);
        server = WebhookServer.start(0, certs.serving(), handler);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpClient client(HttpClient.Version version) {
        return HttpClient.newBuilder().sslContext(certs.clientContext()).version(version).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private URI uri(String path) {
        return URI.create("https://localhost:" + server.port() + path);
    }

    private HttpResponse<byte[]> post(HttpClient client, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(WebhookServer.PATH)).header("Content-Type", "application/json").POST(body).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void answersAReviewOverHttp2AndHttp1() throws Exception {
        for (HttpClient.Version version : HttpClient.Version.values()) {
            HttpResponse<byte[]> response = post(client(version), HttpRequest.BodyPublishers.ofByteArray(POD_CREATE));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.version()).isEqualTo(version);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(Reviews.tree(response.body()).at("/response/patchType").asText()).isEqualTo("JSONPatch");
        }
    }

    @Test
    void otherMethodsAndPathsAreRefused() throws Exception {
        HttpClient client = client(HttpClient.Version.HTTP_1_1);

        HttpResponse<String> get = client.send(HttpRequest.newBuilder(uri(WebhookServer.PATH)).GET().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> other = client.send(HttpRequest.newBuilder(uri("/mutate")).POST(HttpRequest.BodyPublishers.ofByteArray(POD_CREATE)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(other.statusCode()).isEqualTo(404);
    }

    @Test
    void aBodyOverTheCapIs413AndCounted() throws Exception {
        byte[] big = new byte[ReviewHandler.MAX_BODY_BYTES + 1];
        java.util.Arrays.fill(big, (byte) ' ');

        HttpResponse<byte[]> declared = post(client(HttpClient.Version.HTTP_1_1), HttpRequest.BodyPublishers.ofByteArray(big));
        HttpResponse<byte[]> chunked = post(client(HttpClient.Version.HTTP_1_1),
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)));
        HttpResponse<byte[]> stillServing = post(client(HttpClient.Version.HTTP_1_1), HttpRequest.BodyPublishers.ofByteArray(POD_CREATE));

        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(registry.find(AdmissionMetrics.REQUESTS).tag("reason", ReviewHandler.TOO_LARGE).counter().count()).isEqualTo(2);
        assertThat(stillServing.statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyJustUnderTheCapIsRead() throws Exception {
        // A review padded with spaces to the cap: still JSON, so it is answered (on a worker thread, being over
        // WebhookServer.INLINE_BODY_BYTES).
        byte[] padded = new byte[ReviewHandler.MAX_BODY_BYTES];
        java.util.Arrays.fill(padded, (byte) ' ');
        System.arraycopy(POD_CREATE, 0, padded, 0, POD_CREATE.length);

        HttpResponse<byte[]> response = post(client(HttpClient.Version.HTTP_1_1), HttpRequest.BodyPublishers.ofByteArray(padded));

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void speaksTls12AndTls13Only() throws Exception {
        assertThat(handshake("TLSv1.3")).isEqualTo("TLSv1.3");
        assertThat(handshake("TLSv1.2")).isEqualTo("TLSv1.2");
        assertThatThrownBy(() -> handshake("TLSv1.1")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> handshake("TLSv1")).isInstanceOf(IOException.class);
    }

    @Test
    void theServerItselfRefusesTls11EvenWhenTheJvmWouldAllowIt() throws Exception {
        // The JDK disables TLS 1.1 by default on both sides; lift that for this JVM's client and check that the
        // server still says no (its own protocol list is what refuses).
        String before = java.security.Security.getProperty("jdk.tls.disabledAlgorithms");
        java.security.Security.setProperty("jdk.tls.disabledAlgorithms", before.replace("TLSv1.1, ", "").replace("TLSv1, ", ""));
        try {
            SSLSocket socket = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("localhost", server.port());
            try (socket) {
                socket.setEnabledProtocols(new String[] {"TLSv1.1"});
                assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLHandshakeException.class);
            }
        } finally {
            java.security.Security.setProperty("jdk.tls.disabledAlgorithms", before);
        }
    }

    private String handshake(String protocol) throws IOException {
        try (SSLSocket socket = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("localhost", server.port())) {
            socket.setEnabledProtocols(new String[] {protocol});
            socket.startHandshake();
            return socket.getSession().getProtocol();
        }
    }

    private X509Certificate servedCertificate() throws IOException {
        try (SSLSocket socket = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("localhost", server.port())) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void newConnectionsGetAReloadedCertificate() throws Exception {
        TlsCredentials next = certs.serving();
        assertThat(servedCertificate().getSerialNumber()).isNotEqualTo(next.leaf().getSerialNumber());

        server.use(next);

        assertThat(servedCertificate().getSerialNumber()).isEqualTo(next.leaf().getSerialNumber());
        assertThat(post(client(HttpClient.Version.HTTP_2), HttpRequest.BodyPublishers.ofByteArray(POD_CREATE)).statusCode()).isEqualTo(200);
    }

    @Test
    void certificateFilesAreReloadedWhenTheyChangeAndAHalfRotatedPairIsNot(@TempDir Path dir) throws Exception {
        TlsCredentials first = certs.serving();
        Path cert = Files.writeString(dir.resolve("tls.crt"), first.certificateChain());
        Path key = Files.writeString(dir.resolve("tls.key"), first.privateKey());
        try (CertificateFiles files = new CertificateFiles(cert, key)) {
            server.use(files.read());
            files.start(server::use, Duration.ofMillis(50));

            TlsCredentials second = certs.serving();
            Files.writeString(cert, second.certificateChain()); // the key has not been rotated yet
            Thread.sleep(300);
            assertThat(servedCertificate().getSerialNumber()).as("a certificate without its key is not used")
                    .isEqualTo(first.leaf().getSerialNumber());

            Files.writeString(key, second.privateKey());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!servedCertificate().getSerialNumber().equals(second.leaf().getSerialNumber()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(servedCertificate().getSerialNumber()).isEqualTo(second.leaf().getSerialNumber());
        }
    }

    @Test
    void keepsAnsweringABurst() throws Exception {
        HttpClient client = client(HttpClient.Version.HTTP_2);
        // One call first, as the API server keeps its connection: the JDK client racing 500 calls onto a
        // connection it has not opened yet opens several and then drops the extra ones (EOF), whatever the server.
        assertThat(post(client, HttpRequest.BodyPublishers.ofByteArray(POD_CREATE)).statusCode()).isEqualTo(200);
        List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            calls.add(client.sendAsync(HttpRequest.newBuilder(uri(WebhookServer.PATH)).POST(HttpRequest.BodyPublishers.ofByteArray(POD_CREATE)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }

        for (CompletableFuture<HttpResponse<byte[]>> call : calls) {
            HttpResponse<byte[]> response = call.get();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("\"allowed\":true");
        }
        assertThat(registry.find(AdmissionMetrics.REQUESTS).tag("result", AdmissionMetrics.INJECTED).counter().count()).isEqualTo(501);
    }
}
