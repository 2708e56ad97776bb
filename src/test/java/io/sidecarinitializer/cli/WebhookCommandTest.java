package io.sidecarinitializer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sidecar-initializer webhook ...}: the flags, usage errors, and the messages a failed start prints. */
class WebhookCommandTest {
    private final CommandRun command = new CommandRun();

    @AfterEach
    void restore() {
        command.restore();
    }

    @Test
    void helpListsEveryFlagWithTheControllersNamesWhereTheyOverlap() {
        assertThat(command.run("webhook", "--help")).isZero();
        assertThat(command.out()).contains("--port", "--tls-cert-file", "--tls-key-file", "--http-port",
                "--config-namespace", "--config-map", "--log-format", "--fail-closed", "--namespace", "--service-name",
                "--cert-secret", "--webhook-config", "--tls-san", "default: 9443", "default: 8080", "default: sidecar-injector-certs");
    }

    @Test
    void aCertificateWithoutItsKeyIsAUsageError() {
        assertThat(command.run("webhook", "--tls-cert-file=/tmp/tls.crt")).isEqualTo(2);
        assertThat(command.err()).contains("--tls-cert-file and --tls-key-file go together");
    }

    @Test
    void aPortOutOfRangeIsAUsageError() {
        assertThat(command.run("webhook", "--port=70000")).isEqualTo(2);
        assertThat(command.err()).contains("--port: 70000 is not a port");
    }

    @Test
    void unreadableCertificateFilesExitOneBeforeAnyApiCall(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("tls.crt"), "not a certificate");
        Path key = Files.writeString(dir.resolve("tls.key"), "not a key");
        command.pointClientAt("http://127.0.0.1:1");

        assertThat(command.run("webhook", "--http-port=-1", "--tls-cert-file=" + cert, "--tls-key-file=" + key)).isEqualTo(1);
        assertThat(command.err()).contains("webhook: cannot use the certificate files: --tls-cert-file " + cert);
    }

    @Test
    void exitsWithAMessageWhenTheApiServerCannotBeReached() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        command.pointClientAt("http://127.0.0.1:" + port);

        assertThat(command.run("webhook", "--http-port=-1", "--port=0")).isEqualTo(1);
        assertThat(command.err()).contains("webhook: cannot reach the API server at http://127.0.0.1:" + port);
    }
}
