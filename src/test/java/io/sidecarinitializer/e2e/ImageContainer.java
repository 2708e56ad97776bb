package io.sidecarinitializer.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The image running as a Deployment in manifests/ runs it, on host network against the e2e API server: in-cluster
 * configuration only (the ServiceAccount's token, CA and namespace mounted where a kubelet mounts them, and
 * KUBERNETES_SERVICE_HOST/PORT naming the loopback API server), read-only root filesystem with an emptyDir-like /tmp,
 * no capabilities, no privilege escalation, the Deployment's memory limit and environment; the image's own
 * entrypoint and user. Its log is kept in target/e2e/{@code label}.log when it is {@link #close closed}.
 */
final class ImageContainer implements AutoCloseable {
    static final String SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

    private final ContainerImage image;
    private final String name;
    private final HttpProbe probe;
    private final Path serviceAccountDir;
    private final Path log;
    private final Thread shutdownHook;
    private boolean closed;

    private ImageContainer(ContainerImage image, String name, int httpPort, Path serviceAccountDir, Path log) {
        this.image = image;
        this.name = name;
        this.probe = new HttpProbe(httpPort);
        this.serviceAccountDir = serviceAccountDir;
        this.log = log;
        // A killed test JVM must not leave a controller patching the next run's workloads.
        this.shutdownHook = new Thread(() -> image.podman("rm", "-f", "-t", "0", name), "image-container-" + name);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts the image's {@code front} (the manifest's container: its subcommand, env and memory limit) with
     * {@code args} after the subcommand, plus {@code --http-port} on a free port: host network shares the port space
     * with everything else on the machine. {@code token} is the front's ServiceAccount token.
     */
    static ImageContainer start(ContainerImage image, KubeEnvironment env, Manifests.Container front, String token, String label,
            List<String> args) {
        int port = ControllerProcess.freePort();
        String name = "sidecar-e2e-" + label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36), 36);
        Path serviceAccount = writeServiceAccount(env, token);
        List<String> options = new ArrayList<>(List.of("-d", "--name", name, "--network=host", "--read-only",
                "--tmpfs", "/tmp:rw,mode=1777", "--cap-drop=ALL", "--security-opt=no-new-privileges",
                "--memory=" + front.memoryLimitMiB() + "m",
                "-v", serviceAccount + ":" + SERVICE_ACCOUNT_DIR + ":ro",
                "-e", "KUBERNETES_SERVICE_HOST=127.0.0.1", "-e", "KUBERNETES_SERVICE_PORT=" + env.get("SIDECAR_KUBE_API_PORT"),
                "-e", "POD_NAME=" + name));
        for (Map.Entry<String, String> e : front.env().entrySet()) {
            options.addAll(List.of("-e", e.getKey() + "=" + e.getValue()));
        }
        List<String> imageArgs = new ArrayList<>(List.of(front.subcommand()));
        imageArgs.addAll(args);
        imageArgs.add("--http-port=" + port);
        CommandResult started = image.run(options, imageArgs);
        if (!started.ok()) {
            image.podman("rm", "-f", name); // a container created but not started
            delete(serviceAccount);
            throw new AssertionError("cannot start the image: " + started.describe());
        }
        return new ImageContainer(image, name, port, serviceAccount, env.logDir().resolve(label + ".log"));
    }

    String name() {
        return name;
    }

    /** The host's pid of the container's first process: the entrypoint's JVM. */
    long pid() {
        String pid = inspect("{{.State.Pid}}");
        if (pid.equals("0")) {
            throw new AssertionError("container " + name + " is not running; log:\n" + log());
        }
        return Long.parseLong(pid);
    }

    /** {@code podman inspect --format FORMAT} of this container, trimmed. */
    String inspect(String format) {
        return image.podman("inspect", "--format", format, name).assertOk().stdout().strip();
    }

    /** A file of the JVM's /proc entry as the host sees it, e.g. {@code status} or {@code maps}. */
    String proc(String file) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid()), file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Everything the container printed so far. */
    String log() {
        CommandResult logs = image.podman("logs", name);
        return logs.ok() ? logs.stdout() + logs.stderr() : "(podman logs failed: " + logs.describe() + ")";
    }

    /** Polls /readyz until it answers 200; fails at once, with the log, if the container stops. */
    ImageContainer awaitReady(Duration timeout) {
        probe.awaitReady("container " + name, timeout, this::assertRunning);
        return this;
    }

    HttpResponse<String> readyz() throws IOException, InterruptedException {
        return probe.get("/readyz");
    }

    void assertRunning() {
        if (!"true".equals(inspect("{{.State.Running}}"))) {
            throw new AssertionError("container " + name + " stopped with status " + inspect("{{.State.ExitCode}}") + "; log:\n" + log());
        }
    }

    /** Stops it (SIGTERM, as a kubelet does), keeps its log, removes it. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        image.podman("stop", "-t", "15", name);
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, log());
        } catch (IOException e) {
            System.err.println("[e2e] cannot keep the log of container " + name + ": " + e);
        }
        image.podman("rm", "-f", name);
        delete(serviceAccountDir);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
    }

    /** What a kubelet mounts for the Pod's ServiceAccount: token, ca.crt, namespace; readable by the image's UID. */
    private static Path writeServiceAccount(KubeEnvironment env, String token) {
        try {
            Path dir = Files.createTempDirectory("sidecar-e2e-sa-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.writeString(dir.resolve("token"), token);
            Files.copy(Path.of(env.get("SIDECAR_KUBE_CA_FILE")), dir.resolve("ca.crt"));
            Files.writeString(dir.resolve("namespace"), "istio-system");
            for (String file : List.of("token", "ca.crt", "namespace")) {
                Files.setPosixFilePermissions(dir.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the ServiceAccount volume", e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("[e2e] cannot delete " + dir + ": " + e);
        }
    }
}
