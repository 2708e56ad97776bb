package io.sidecarinitializer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sidecar-initializer webhook ...}: the flags, usage errors, and the messages a failed start prints. */
class WebhookCommandTest {
    private static final Map<String, String> CLIENT_PROPERTIES = Map.of(
            "kubernetes.auth.tryKubeConfig", "false",
            "kubernetes.auth.tryServiceAccount", "false",
            "kubernetes.request.retry.backoffLimit", "0",
            "kubernetes.connection.timeout", "2000");

    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        System.setOut(realOut);
        System.setErr(realErr);
        CLIENT_PROPERTIES.keySet().forEach(System::clearProperty);
        System.clearProperty("kubernetes.master");
    }

    @Test
    void helpListsEveryFlagWithTheControllersNamesWhereTheyOverlap() {
        assertThat(run("webhook", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--port", "--tls-cert-file", "--tls-key-file", "--http-port",
                "--config-namespace", "--config-map", "--log-format", "--fail-closed", "--namespace", "--service-name",
                "--cert-secret", "--webhook-config", "--tls-san", "default: 9443", "default: 8080", "default: sidecar-injector-certs");
    }

    @Test
    void aCertificateWithoutItsKeyIsAUsageError() {
        assertThat(run("webhook", "--tls-cert-file=/tmp/tls.crt")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--tls-cert-file and --tls-key-file go together");
    }

    @Test
    void aPortOutOfRangeIsAUsageError() {
        assertThat(run("webhook", "--port=70000")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--port: 70000 is not a port");
    }

    @Test
    void unreadableCertificateFilesExitOneBeforeAnyApiCall(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("tls.crt"), "not a certificate");
        Path key = Files.writeString(dir.resolve("tls.key"), "not a key");
        pointClientAt("http://127.0.0.1:1");

        assertThat(run("webhook", "--http-port=-1", "--tls-cert-file=" + cert, "--tls-key-file=" + key)).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("webhook: cannot use the certificate files: --tls-cert-file " + cert);
    }

    @Test
    void exitsWithAMessageWhenTheApiServerCannotBeReached() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        pointClientAt("http://127.0.0.1:" + port);

        assertThat(run("webhook", "--http-port=-1", "--port=0")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("webhook: cannot reach the API server at http://127.0.0.1:" + port);
    }

    private void pointClientAt(String url) {
        CLIENT_PROPERTIES.forEach(System::setProperty);
        System.setProperty("kubernetes.master", url);
    }

    private int run(String... args) {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setOut(realOut);
            System.setErr(realErr);
        }
    }
}
