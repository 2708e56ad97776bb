package io.sidecarinitializer.e2e;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real kube-apiserver 1.20.2 + etcd + kube-controller-manager on loopback, made by {@code src/test/k8s/kube-env.sh}
 * (which builds them once and caches them by version outside the checkout), with an admin kubeconfig and one each
 * for the controller's and the webhook's ServiceAccount tokens. One per test run: {@link KubeApiServerExtension}
 * keeps it in the root store, so it is closed when the run ends, passed or failed; a JVM shutdown hook is the last
 * resort. {@link #close} kills every controller and webhook it started, stops the daemons, keeps their logs in
 * target/e2e/kube-env and deletes the state directory.
 */
final class KubeEnvironment implements ExtensionContext.Store.CloseableResource {
    /** A fresh machine builds kube-apiserver and kube-controller-manager first (apt installs + go build): minutes. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(45);
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    /** The identity manifests/webhook/rbac.yaml grants to: the webhook Deployment's ServiceAccount. */
    static final String WEBHOOK_USER = "system:serviceaccount:istio-system:sidecar-injector";

    private final Path projectDir;
    private final Path script;
    private final Path stateDir;
    private final Path logDir;
    private final Properties env;
    private final Path jar;
    private final Kubectl admin;
    private final Kubectl serviceAccount;
    private final Kubectl webhookServiceAccount;
    private final String webhookToken;
    private final List<ControllerProcess> controllers = new CopyOnWriteArrayList<>();
    private final Thread shutdownHook;
    private boolean closed;

    private KubeEnvironment(Path projectDir, Path script, Path stateDir, Path logDir, Thread shutdownHook, String webhookToken)
            throws IOException {
        this.projectDir = projectDir;
        this.script = script;
        this.stateDir = stateDir;
        this.logDir = logDir;
        this.shutdownHook = shutdownHook;
        this.webhookToken = webhookToken;
        this.env = new Properties();
        try (Reader in = Files.newBufferedReader(stateDir.resolve("env"))) {
            env.load(in);
        }
        // A private copy: a concurrent `mvn package` in the same tree must not swap the jar under a running test.
        this.jar = stateDir.resolve("sidecar-initializer.jar");
        Files.copy(projectDir.resolve("target/sidecar-initializer.jar"), jar, StandardCopyOption.REPLACE_EXISTING);
        Path cache = stateDir.resolve("kubectl-cache");
        String kubectl = System.getenv().getOrDefault("KUBECTL", "kubectl");
        this.admin = new Kubectl(kubectl, Path.of(get("KUBECONFIG")), cache, projectDir);
        this.serviceAccount = new Kubectl(kubectl, writeServiceAccountKubeconfig("sidecar-initializer.kubeconfig",
                get("SIDECAR_KUBE_SA_USER"), get("SIDECAR_KUBE_SA_TOKEN")), cache, projectDir);
        this.webhookServiceAccount = new Kubectl(kubectl, writeServiceAccountKubeconfig("sidecar-injector.kubeconfig",
                WEBHOOK_USER, webhookToken), cache, projectDir);
    }

    /** Builds (first time only) and starts the environment; on any failure stops whatever was started. */
    static KubeEnvironment start(Path projectDir) {
        Path jarFile = projectDir.resolve("target/sidecar-initializer.jar");
        if (!Files.isRegularFile(jarFile)) {
            throw new IllegalStateException(jarFile + " is missing: the e2e tests run the packaged jar, so run them "
                    + "through `./mvnw -B verify` (failsafe runs after package)");
        }
        String kubectl = System.getenv().getOrDefault("KUBECTL", "kubectl");
        CommandResult client = CommandResult.run(List.of("bash", "-c", "command -v \"$0\" && \"$0\" version --client", kubectl),
                Map.of(), projectDir, null, Duration.ofSeconds(30));
        if (!client.ok()) {
            throw new IllegalStateException("the e2e tests run the real kubectl, and `" + kubectl + " version --client` failed "
                    + "(install kubectl or set KUBECTL to its path):\n" + client.describe());
        }
        Path script = projectDir.resolve("src/test/k8s/kube-env.sh");
        Path logDir = projectDir.resolve("target/e2e");
        Path stateDir;
        try {
            Files.createDirectories(logDir);
            // Outside target/: a concurrent `mvn clean` must not delete etcd's data under a running server.
            stateDir = Files.createTempDirectory("sidecar-e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path scriptLog = logDir.resolve("kube-env.log");
        // Last resort (the failsafe JVM is terminated): kill the controllers too once the environment exists.
        AtomicReference<KubeEnvironment> started = new AtomicReference<>();
        Thread hook = new Thread(() -> {
            KubeEnvironment environment = started.get();
            if (environment != null) {
                environment.close();
            } else {
                stopQuietly(script, stateDir, projectDir, scriptLog);
            }
        }, "kube-env-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            byte[] secret = new byte[24];
            new SecureRandom().nextBytes(secret);
            String webhookToken = HexFormat.of().formatHex(secret);
            streamed(projectDir, scriptLog, BUILD_TIMEOUT, "bash", script.toString(), "build");
            streamed(projectDir, scriptLog, START_TIMEOUT, "bash", script.toString(), "start", stateDir.toString(), "--token",
                    webhookToken + "," + WEBHOOK_USER + ",sidecar-injector,\"system:serviceaccounts,system:serviceaccounts:istio-system\"");
            started.set(new KubeEnvironment(projectDir, script, stateDir, logDir, hook, webhookToken));
            return started.get();
        } catch (IOException e) {
            stopQuietly(script, stateDir, projectDir, scriptLog);
            removeHook(hook);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            stopQuietly(script, stateDir, projectDir, scriptLog);
            removeHook(hook);
            throw e;
        }
    }

    String get(String key) {
        String value = env.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(stateDir.resolve("env") + " has no " + key);
        }
        return value;
    }

    Path projectDir() {
        return projectDir;
    }

    Path logDir() {
        return logDir;
    }

    Path jar() {
        return jar;
    }

    String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** kubectl as the cluster admin (system:masters). */
    Kubectl kubectl() {
        return admin;
    }

    /** kubectl as system:serviceaccount:istio-system:sidecar-initializer, the identity the controller runs as. */
    Kubectl kubectlAsServiceAccount() {
        return serviceAccount;
    }

    /** kubectl as system:serviceaccount:istio-system:sidecar-injector, the identity the webhook runs as. */
    Kubectl kubectlAsWebhook() {
        return webhookServiceAccount;
    }

    /** The bearer token of the controller's ServiceAccount, as a kubelet would mount it. */
    String serviceAccountToken() {
        return get("SIDECAR_KUBE_SA_TOKEN");
    }

    /** The bearer token of the webhook's ServiceAccount, as a kubelet would mount it. */
    String webhookToken() {
        return webhookToken;
    }

    String serviceAccountUser() {
        return get("SIDECAR_KUBE_SA_USER");
    }

    String serverVersion() {
        return get("SIDECAR_KUBE_VERSION");
    }

    /**
     * The webhook install for this server, as the README says: {@code manifests/} on 1.21+, its
     * {@code manifests/k8s-1.16-1.20/} variant (policy/v1beta1 PodDisruptionBudget) before.
     */
    String webhookManifests() {
        String[] parts = serverVersion().replaceFirst("^v", "").split("\\.");
        int minor = Integer.parseInt(parts[1]);
        return minor >= 21 ? "manifests/" : "manifests/k8s-1.16-1.20/";
    }

    /** {@code kubectl apply -k} of {@link #webhookManifests()}: the default install, the admission webhook. */
    CommandResult applyManifests() {
        return admin.run("apply", "-k", webhookManifests());
    }

    /** {@code kubectl apply -k manifests/reconcile/}: the opt-in controller (reconcile mode), its RBAC and the ConfigMaps. */
    CommandResult applyReconcileManifests() {
        return admin.run("apply", "-k", "manifests/reconcile/");
    }

    /** Creates a namespace no other test uses (a deleted one would stay Terminating: no namespace controller runs). */
    String freshNamespace(String prefix) {
        String name = prefix + "-" + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36), 36)
                .toLowerCase(Locale.ROOT);
        admin.ok("create", "namespace", name);
        return name;
    }

    /**
     * Starts the controller jar as a separate process under the ServiceAccount's identity, logging to
     * target/e2e/{@code label}.log; it is killed at the latest when the test class ends.
     */
    ControllerProcess startController(String label, List<String> args) {
        ControllerProcess p = ControllerProcess.start(java(), jar, serviceAccount.kubeconfig(), "controller", args,
                logDir.resolve(label + ".log"));
        controllers.add(p);
        return p;
    }

    /**
     * Starts {@code webhook ARGS} as a separate process under the webhook's ServiceAccount identity, logging to
     * target/e2e/{@code label}.log; it is killed at the latest when the test class ends.
     */
    ControllerProcess startWebhook(String label, List<String> args) {
        ControllerProcess p = ControllerProcess.start(java(), jar, webhookServiceAccount.kubeconfig(), "webhook", args,
                logDir.resolve(label + ".log"));
        controllers.add(p);
        return p;
    }

    /** Stops every controller started so far. */
    void stopControllers() {
        for (ControllerProcess p : controllers) {
            p.close();
        }
        controllers.clear();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopControllers();
        stopQuietly(script, stateDir, projectDir, logDir.resolve("kube-env.log"));
        removeHook(shutdownHook);
    }

    /** A kubeconfig with the same server and CA as the admin's, and a ServiceAccount's static token. */
    private Path writeServiceAccountKubeconfig(String fileName, String user, String token) throws IOException {
        Path file = stateDir.resolve(fileName);
        String text = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: sidecar-test
                  cluster:
                    server: %s
                    certificate-authority: %s
                users:
                - name: %s
                  user:
                    token: %s
                contexts:
                - name: service-account
                  context:
                    cluster: sidecar-test
                    user: %s
                current-context: service-account
                """.formatted(get("SIDECAR_KUBE_SERVER"), get("SIDECAR_KUBE_CA_FILE"), user, token, user);
        Files.writeString(file, text);
        return file;
    }

    /**
     * {@code kube-env.sh stop DIR}; whatever it leaves alive (it should not) is killed by pid; the logs go to
     * target/e2e/kube-env/ and DIR is deleted. Never throws: it runs in close() and in the shutdown hook.
     */
    private static void stopQuietly(Path script, Path stateDir, Path projectDir, Path scriptLog) {
        if (!Files.isDirectory(stateDir)) {
            return;
        }
        List<Long> pids = new ArrayList<>();
        for (String name : List.of("kube-controller-manager.pid", "kube-apiserver.pid", "etcd.pid")) {
            try {
                pids.add(Long.parseLong(Files.readString(stateDir.resolve(name)).trim()));
            } catch (IOException | NumberFormatException ignored) {
                // not started, or already stopped
            }
        }
        try {
            streamed(projectDir, scriptLog, STOP_TIMEOUT, "bash", script.toString(), "stop", stateDir.toString());
        } catch (RuntimeException | Error e) {
            System.err.println("[e2e] kube-env.sh stop failed: " + e.getMessage());
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().commandLine().orElse("").contains(stateDir.toString()))
                    .ifPresent(h -> {
                        System.err.println("[e2e] killing leftover " + h.info().commandLine().orElse("pid " + pid));
                        h.destroyForcibly();
                    });
        }
        try {
            Path keep = projectDir.resolve("target/e2e/kube-env");
            Files.createDirectories(keep);
            try (Stream<Path> logs = Files.list(stateDir)) {
                for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                    Files.copy(log, keep.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            System.err.println("[e2e] cannot keep the logs of " + stateDir + ": " + e);
        }
        try (Stream<Path> all = Files.walk(stateDir)) {
            all.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            System.err.println("[e2e] cannot delete " + stateDir + ": " + e);
        }
    }

    /**
     * Runs kube-env.sh, copying its progress lines to stdout (a first build takes minutes; the user should see
     * why) and to target/e2e/kube-env.log; fails with the tail of the output on a non-zero exit or timeout.
     */
    private static void streamed(Path workDir, Path log, Duration timeout, String... command) {
        int exit = streamedExit(workDir, log, timeout, command);
        if (exit != 0) {
            throw new IllegalStateException("`" + String.join(" ", command) + "` exited " + exit + "; see " + log + "\n" + tail(log));
        }
    }

    /** The last lines of a log, for a failure message. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /**
     * Runs a slow build script, copying its progress lines to stdout and to {@code log}, and returns its exit status;
     * fails with the tail of the output on a timeout.
     */
    static int streamedExit(Path workDir, Path log, Duration timeout, String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Process process = pb.start();
            List<String> tail = new CopyOnWriteArrayList<>();
            PrintStream out = System.out;
            Thread pump = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        out.println(line);
                        tail.add(line);
                        if (tail.size() > 60) {
                            tail.remove(0);
                        }
                        Files.writeString(log, line + "\n", StandardCharsets.UTF_8,
                                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                } catch (IOException ignored) {
                    // the process ended or was killed
                }
            }, "kube-env-output");
            pump.setDaemon(true);
            pump.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("timed out after " + timeout.toMinutes() + " min: " + String.join(" ", command)
                        + "\n" + String.join("\n", tail));
            }
            pump.join(5_000);
            return process.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook is what is running us
        }
    }
}
