package io.sidecarinitializer.e2e;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.testing.Poll;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar sidecar-initializer.jar controller|webhook ...} as a separate process, as the Deployment runs it:
 * its own JVM, its own kubeconfig (identity), stdout and stderr in a log file under target/e2e. Always
 * {@link #close closed} (the extension kills any a test forgot).
 */
final class ControllerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path log;
    private final HttpProbe probe;
    private final List<String> command;

    private ControllerProcess(Process process, Path log, int httpPort, List<String> command) {
        this.process = process;
        this.log = log;
        this.probe = new HttpProbe(httpPort);
        this.command = command;
    }

    /**
     * Starts {@code subcommand} (controller or webhook) with {@code args} plus {@code --http-port} on a free port,
     * connecting with {@code kubeconfig} only: no KUBERNETES_* variables or ~/.kube/config of the caller leak in.
     */
    static ControllerProcess start(String java, Path jar, Path kubeconfig, String subcommand, List<String> args, Path log) {
        int port = freePort();
        // JVM flags only make startup cheaper on a 2-core CI machine; they change no behaviour.
        List<String> command = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar",
                jar.toString(), subcommand));
        command.addAll(args);
        command.add("--http-port=" + port);
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "# " + String.join(" ", command) + "\n# KUBECONFIG=" + kubeconfig + "\n");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.equals("POD_NAME") || k.equals("KUBECONFIG"));
            env.put("KUBECONFIG", kubeconfig.toString());
            return new ControllerProcess(pb.start(), log, port, List.copyOf(command));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path logFile() {
        return log;
    }

    /** Everything the controller printed so far. */
    String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls /readyz until it answers 200; fails at once, with the log, if the process exits. */
    ControllerProcess awaitReady(Duration timeout) {
        probe.awaitReady("the controller (log: " + log + ")", timeout, this::assertAlive);
        return this;
    }

    HttpResponse<String> readyz() throws IOException, InterruptedException {
        return probe.get("/readyz");
    }

    /** {@code GET path} on the --http-port (probes and /metrics). */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return probe.get(path);
    }

    /**
     * The {@code reason} of the last outcome the controller logged about one workload, from {@code --log-format=json}
     * lines (their {@code kvpList}: namespace, kind, name, result, reason); null when none yet.
     */
    String loggedReason(String namespace, String kind, String name) {
        String reason = null;
        for (String line : log().lines().filter(l -> l.startsWith("{")).toList()) {
            Map<String, String> kv = new HashMap<>();
            try {
                for (JsonNode pair : JSON.readTree(line).path("kvpList")) {
                    pair.fields().forEachRemaining(f -> kv.put(f.getKey(), f.getValue().asText()));
                }
            } catch (JsonProcessingException e) {
                continue; // a line cut off while being written
            }
            if (namespace.equals(kv.get("namespace")) && kind.equals(kv.get("kind")) && name.equals(kv.get("name"))) {
                reason = kv.get("reason");
            }
        }
        return reason;
    }

    /** Polls the log until it contains {@code fragment}. */
    void awaitLog(String fragment, Duration timeout) {
        Poll.until("the controller log " + log + " to contain '" + fragment + "'", timeout, () -> log().contains(fragment));
    }

    /** Waits for the process to exit by itself and returns its status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the controller did not exit within " + timeout.toSeconds() + " s; log:\n" + log());
        }
        return process.exitValue();
    }

    void assertAlive() {
        if (!process.isAlive()) {
            throw new AssertionError("the controller exited with status " + process.exitValue() + "; `"
                    + String.join(" ", command) + "`, log:\n" + log());
        }
    }

    /** SIGTERM (the controller's shutdown hook stops it cleanly), then SIGKILL after 15 s. Safe to call twice. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
