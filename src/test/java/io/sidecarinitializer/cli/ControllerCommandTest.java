package io.sidecarinitializer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.cli.Main;
import io.sidecarinitializer.cluster.ApiServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code sidecar-initializer controller ...}: usage, and the messages a failed start prints. */
class ControllerCommandTest {
    /** fabric8 reads these before KUBECONFIG; they point the command at a server of the test's choosing. */
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
    void helpListsEveryFlag() {
        assertThat(run("controller", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--mode", "--config-namespace", "--config-map", "--all-kinds",
                "--http-port", "--log-format", "--leader-election", "--lease-name", "--identity");
    }

    @Test
    void rejectsAnUnknownModeAsAUsageError() {
        assertThat(run("controller", "--mode=sideways")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'sideways' is not one of auto, initializer, reconcile");
        assertThat(run("controller", "--log-format=xml")).isEqualTo(2);
    }

    @Test
    void exitsWithAMessageWhenTheApiServerCannotBeReached() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        pointClientAt("http://127.0.0.1:" + port);

        assertThat(run("controller", "--http-port=-1")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("controller: cannot reach the API server at http://127.0.0.1:" + port);
    }

    @Test
    void exitsWithForbiddenWhenAPermissionIsMissing() {
        try (ApiServer api = ApiServer.modern()) {
            api.dispatcher.deny("list statefulsets.apps");
            pointClientAt(api.client.getConfiguration().getMasterUrl());

            assertThat(run("controller", "--http-port=-1", "--leader-election=false", "--identity=cli")).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("controller: forbidden:", "list statefulsets.apps (cluster-wide)");
        }
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
