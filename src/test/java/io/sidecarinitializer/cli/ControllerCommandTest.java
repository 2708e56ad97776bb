package io.sidecarinitializer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.cluster.ApiServer;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code sidecar-initializer controller ...}: usage, and the messages a failed start prints. */
class ControllerCommandTest {
    private final CommandRun command = new CommandRun();

    @AfterEach
    void restore() {
        command.restore();
    }

    @Test
    void helpListsEveryFlag() {
        assertThat(command.run("controller", "--help")).isZero();
        assertThat(command.out()).contains("--mode", "--config-namespace", "--config-map", "--all-kinds",
                "--http-port", "--log-format", "--leader-election", "--lease-name", "--identity");
    }

    @Test
    void rejectsAnUnknownModeAsAUsageError() {
        assertThat(command.run("controller", "--mode=sideways")).isEqualTo(2);
        assertThat(command.err()).contains("'sideways' is not one of auto, initializer, reconcile");
        assertThat(command.run("controller", "--log-format=xml")).isEqualTo(2);
    }

    @Test
    void exitsWithAMessageWhenTheApiServerCannotBeReached() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        command.pointClientAt("http://127.0.0.1:" + port);

        assertThat(command.run("controller", "--http-port=-1")).isEqualTo(1);
        assertThat(command.err()).contains("controller: cannot reach the API server at http://127.0.0.1:" + port);
    }

    @Test
    void exitsWithForbiddenWhenAPermissionIsMissing() {
        try (ApiServer api = ApiServer.modern()) {
            api.dispatcher.deny("list statefulsets.apps");
            command.pointClientAt(api.client.getConfiguration().getMasterUrl());

            assertThat(command.run("controller", "--http-port=-1", "--leader-election=false", "--identity=cli")).isEqualTo(1);
            assertThat(command.err()).contains("controller: forbidden:", "list statefulsets.apps (cluster-wide)");
        }
    }
}
