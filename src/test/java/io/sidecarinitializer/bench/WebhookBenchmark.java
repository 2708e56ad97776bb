package io.sidecarinitializer.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admission webhook behind a real kube-apiserver 1.20.2 (kube-env.sh; no kube-controller-manager, which would
 * only add noise): {@code bench.pods} (1,000) Pod creations in a namespace labeled {@code istio-injection=enabled},
 * so every one goes through the webhook, against the same creations in an unlabeled namespace the API server never
 * asks about, on {@code bench.threads} (8) threads, in {@code bench.rounds} (4) rounds that rotate the order of the
 * sides, after {@code bench.warmup} (600) unmeasured creations on each side. That warm-up is past the JIT: the
 * Deployment runs C1 alone, which compiles a method after 200 calls, and the injection path runs once per pod, so a
 * shorter one leaves the webhook compiling its own code in the measured rounds; the warm-up's own p99 (the first
 * requests after a start) is printed beside the steady state's. Two reference sides (off with
 * {@code bench.references=false}) split the gap: the pods as the webhook returns them, created where no webhook is
 * asked (what the bigger object alone costs the API server, which no injector can avoid), and pods the webhook is
 * asked about but leaves alone (annotation false). Each side's CPU per pod is read from /proc for kube-apiserver,
 * etcd, the webhook and this client, since wall time on two shared cores is noisy. Reported: the wall-time ratio (target at most 1.3×),
 * the webhook's own p99 handling time from its latency histogram on /metrics over the measured creations (target
 * under 5 ms), its peak VmRSS while they run (target under 200 MiB), and start-to-ready (process start to the first
 * 200 from /readyz; target under 2 s) for a first start that makes its CA and Secret and for a restart that reads them,
 * {@code bench.startRuns} (3) times each with the image's class-data sharing archive and without, alternating.
 *
 * <p>The webhook runs as the jar with the JVM flags and environment of manifests/webhook/deployment.yaml
 * ({@link ProductionJvm}) and, as in the image, an archive dumped for this JVM from the training runs' class list
 * ({@link ImageClassList}; the creations run with it), with no certificate files (its own CA, {@code --tls-san 127.0.0.1}), registered with a
 * {@code url} clientConfig on loopback; every pod of the labeled side is checked to carry the sidecar, since a
 * webhook that fails open would look fast. {@code bench.webhook.jvm}: more JVM flags for the webhook (an A/B run, a
 * profiler agent).
 *
 * <p>Not a test: a main that prints its figures. {@code ./mvnw -q -B package -DskipTests && ./mvnw -q -B exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=io.sidecarinitializer.bench.WebhookBenchmark}.
 */
public final class WebhookBenchmark {
    static final double RATIO_TARGET = 1.3;
    static final double P99_TARGET_MS = 5;
    static final double RSS_TARGET_MIB = 200;
    static final double READY_TARGET_SECONDS = 2;
    static final String CONFIGURATION = "sidecar-injector";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private WebhookBenchmark() {}

    public static void main(String[] args) throws Exception {
        int pods = Integer.getInteger("bench.pods", 1000);
        int threads = Integer.getInteger("bench.threads", 8);
        int rounds = Integer.getInteger("bench.rounds", 4);
        int warmup = Integer.getInteger("bench.warmup", 600);
        Path root = Path.of("").toAbsolutePath();
        Path jar = Files.createTempFile("webhook-bench-", ".jar");
        Files.copy(Path.of(System.getProperty("bench.jar", "target/sidecar-initializer.jar")), jar,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path dir = Files.createTempDirectory("webhook-bench-");
        Path script = root.resolve("src/test/k8s/kube-env.sh");
        run(Map.of("SIDECAR_KUBE_CONTROLLER_MANAGER", "false"), "bash", script.toString(), "start", dir.toString());
        Process webhook = null;
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(dir.resolve("kubeconfig")))).build()) {
            install(client, root);
            String on = namespace(client, "bench-on", true);
            String off = namespace(client, "bench-off", false);
            int port = freePort();
            int httpPort = freePort();
            register(client, root, port);

            // As the image does it (Dockerfile): the training runs' class list, dumped into an archive for this JVM.
            Path classList = dir.resolve("image.classlist");
            System.out.printf(Locale.ROOT, "class list from the training runs: %d classes%n", ImageClassList.write(jar, classList));
            List<String> archive = List.of("-XX:SharedArchiveFile=" + ControllerBenchmark.sharedArchive(classList, jar, dir));
            Map<String, List<Double>> ready = new LinkedHashMap<>();
            int startRuns = Integer.getInteger("bench.startRuns", 3);
            for (int i = 1; i <= startRuns; i++) {
                // Alternate which goes first, so neither always starts on the quieter machine.
                for (boolean withArchive : i % 2 == 1 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                    String variant = withArchive ? "archive" : "none";
                    List<String> flags = withArchive ? archive : List.of();
                    forgetCertificate(client);
                    ready.computeIfAbsent("first " + variant, k -> new ArrayList<>())
                            .add(startToReady(client, root, jar, dir, flags, port, httpPort, "first-" + variant + "-" + i, true));
                    ready.computeIfAbsent("restart " + variant, k -> new ArrayList<>())
                            .add(startToReady(client, root, jar, dir, flags, port, httpPort, "restart-" + variant + "-" + i, false));
                }
            }
            webhook = start(root, jar, dir.resolve("kubeconfig"), archive, port, httpPort, dir.resolve("webhook-load.log"));
            awaitReady(webhook, httpPort, System.nanoTime());

            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicInteger serial = new AtomicInteger();
            Pod injected = createAll(client, pool, on, warmup, serial, Side.plain(true)).get(0);
            // Two references split the gap: the API server storing pods as big as injected ones with no webhook asked,
            // and the webhook asked about pods it lets through unchanged (annotation false), which stay small.
            List<Side> sides = new ArrayList<>(List.of(new Side("webhook", on, Side.plain(true)), new Side("no webhook", off, Side.plain(false))));
            if (Boolean.parseBoolean(System.getProperty("bench.references", "true"))) {
                sides.add(new Side("no webhook, pods as injected", off, Side.asInjected(injected)));
                sides.add(new Side("webhook, annotation false", on, Side.optedOut()));
            }
            for (Side side : sides.subList(1, sides.size())) {
                createAll(client, pool, side.namespace(), warmup, serial, side.pods());
            }
            Map<Double, Double> before = histogram(get(httpPort, "/metrics"));
            Map<Double, Double> atStart = Map.of(Double.POSITIVE_INFINITY, 0.0);

            RssSampler rss = new RssSampler(webhook.pid());
            rss.start();
            double cpuBefore = cpuSeconds(webhook.pid());
            long[] nanos = new long[sides.size()];
            // CPU seconds per side and process: wall time on two shared cores is noisy, CPU shows where a side's cost lands.
            Map<String, Long> processes = new java.util.LinkedHashMap<>();
            processes.put("kube-apiserver", pid(dir.resolve("kube-apiserver.pid")));
            processes.put("etcd", pid(dir.resolve("etcd.pid")));
            processes.put("webhook", webhook.pid());
            processes.put("client", ProcessHandle.current().pid());
            double[][] cpuBySide = new double[sides.size()][processes.size()];
            int perRound = pods / rounds;
            for (int r = 0; r < rounds; r++) {
                // Rotate the order, so no side always runs on a warmer (or more tired) server.
                for (int k = 0; k < sides.size(); k++) {
                    int i = (k + r) % sides.size();
                    Side side = sides.get(i);
                    double[] cpuStart = cpuSeconds(processes.values());
                    long start = System.nanoTime();
                    createAll(client, pool, side.namespace(), perRound, serial, side.pods());
                    long took = System.nanoTime() - start;
                    double[] cpuEnd = cpuSeconds(processes.values());
                    for (int p = 0; p < cpuEnd.length; p++) {
                        cpuBySide[i][p] += cpuEnd[p] - cpuStart[p];
                    }
                    nanos[i] += took;
                    System.out.printf(Locale.ROOT, "round %d %-30s %d pods in %.2f s%n", r + 1, side.name() + ":", perRound, took / 1e9);
                }
            }
            rss.stop();
            double cpu = cpuSeconds(webhook.pid()) - cpuBefore;
            Map<Double, Double> after = histogram(get(httpPort, "/metrics"));
            pool.shutdownNow();
            double p99 = percentile(before, after, 0.99) * 1000;
            double p50 = percentile(before, after, 0.50) * 1000;
            double p99Estimate = interpolated(before, after, 0.99) * 1000;
            double requests = count(after) - count(before);
            long onNanos = nanos[0];
            long offNanos = nanos[1];
            double ratio = (double) onNanos / offNanos;
            int measured = perRound * rounds;

            System.out.println();
            System.out.printf(Locale.ROOT, "%d Pod creations each side, %d threads, kube-apiserver v1.20.2 on this machine "
                    + "(load average at the end: %s)%n", measured, threads, Files.readString(Path.of("/proc/loadavg")).trim());
            System.out.printf(Locale.ROOT, "  %-30s %6s %10s %8s   CPU ms per pod:%s%n", "", "wall", "pods/s", "ratio",
                    processes.keySet().stream().map(n -> String.format(Locale.ROOT, " %14s", n)).collect(java.util.stream.Collectors.joining()));
            for (int i = 0; i < sides.size(); i++) {
                StringBuilder cpuPerPod = new StringBuilder();
                for (double seconds : cpuBySide[i]) {
                    cpuPerPod.append(String.format(Locale.ROOT, " %14.2f", seconds * 1000 / measured));
                }
                System.out.printf(Locale.ROOT, "  %-30s %5.2f s %10.0f %7.2f×                  %s%n", sides.get(i).name() + ":", nanos[i] / 1e9,
                        measured / (nanos[i] / 1e9), (double) nanos[i] / offNanos, cpuPerPod);
            }
            if (sides.size() > 2) {
                // No injector can make its pods cheaper for the API server than the pods it injects: that is the floor.
                System.out.printf(Locale.ROOT, "  the API server's own share (pods as injected, no webhook): %.2f×; the webhook's on top of it: %.2f×%n",
                        (double) nanos[2] / offNanos, (double) onNanos / nanos[2]);
            }
            report("wall-time ratio", String.format(Locale.ROOT, "%.2f×", ratio), ratio <= RATIO_TARGET, "≤ " + RATIO_TARGET + "×");
            // The histogram has a bucket at the target, so "p99 under 5 ms" is checked as an SLO on it is: at least 99 % of
            // the requests in that bucket or below. The bucket bound alone can never come out under its own boundary.
            double withinTarget = within(before, after, P99_TARGET_MS / 1000);
            report("webhook p99 handling time", String.format(Locale.ROOT, "%.2f%% of %d requests within %.0f ms; p99 ≤ %.2f ms "
                    + "(bucket upper bound; within it, as Prometheus's histogram_quantile: %.1f ms); p50 ≤ %.2f ms", withinTarget * 100,
                    (long) requests, P99_TARGET_MS, p99, p99Estimate, p50), withinTarget >= 0.99, "p99 < " + P99_TARGET_MS + " ms");
            System.out.println("  handling times by bucket (ms: requests): " + distribution(before, after));
            System.out.printf(Locale.ROOT, "  the warm-up's p99 (the first %d requests after the start, while the JIT compiles): %.1f ms "
                    + "(histogram_quantile); by bucket: %s%n", (long) count(before), interpolated(atStart, before, 0.99) * 1000,
                    distribution(atStart, before));
            System.out.printf(Locale.ROOT, "  webhook CPU (user + system) over the measured rounds: %.2f s, %.2f ms per admission request%n",
                    cpu, cpu * 1000 / requests);
            report("webhook peak RSS under load", String.format(Locale.ROOT, "%.0f MiB (at the end: %.0f MiB)", rss.peakMib(), rss.lastMib()),
                    rss.peakMib() < RSS_TARGET_MIB, "< " + RSS_TARGET_MIB + " MiB");
            System.out.printf(Locale.ROOT, "start-to-ready (process start to the first 200 from /readyz), %d runs each, alternating; "
                    + "load average now: %s%n", startRuns, Files.readString(Path.of("/proc/loadavg")).trim());
            for (String start : List.of("first", "restart")) {
                List<Double> with = ready.get(start + " archive");
                List<Double> without = ready.get(start + " none");
                double median = ControllerBenchmark.median(with, Double::doubleValue);
                double reference = ControllerBenchmark.median(without, Double::doubleValue);
                report(start.equals("first") ? "start-to-ready, first start (makes CA + Secret)" : "start-to-ready, restart (reads the Secret)",
                        String.format(Locale.ROOT, "median %.2f s (%s) with the image's archive; without: median %.2f s (%s), %.2f×",
                                median, ControllerBenchmark.seconds(with), reference, ControllerBenchmark.seconds(without), median / reference),
                        median < READY_TARGET_SECONDS, "< " + READY_TARGET_SECONDS + " s");
            }
        } finally {
            if (webhook != null) {
                ControllerBenchmark.stop(webhook, Duration.ofSeconds(15));
            }
            run(Map.of(), "bash", script.toString(), "stop", dir.toString());
            Files.deleteIfExists(jar);
            System.out.println("logs (webhook, kube-apiserver, etcd) in " + dir);
        }
    }

    private static void report(String what, String value, boolean met, String target) {
        System.out.printf(Locale.ROOT, "  %-48s %s  target %s: %s%n", what, value, target, met ? "met" : "NOT MET");
    }

    /** The shared objects of every install: namespace istio-system (labeled so the webhook skips it) and the ConfigMaps. */
    static void install(KubernetesClient client, Path root) throws IOException {
        for (String file : List.of("manifests/base/namespace.yaml", "manifests/base/configmaps.yaml")) {
            try (InputStream in = Files.newInputStream(root.resolve(file))) {
                for (HasMetadata item : client.load(in).items()) {
                    client.resource(item).create();
                }
            }
        }
    }

    /** The manifests' MutatingWebhookConfiguration with a url clientConfig on loopback instead of the Service. */
    static void register(KubernetesClient client, Path root, int port) throws IOException {
        MutatingWebhookConfiguration configuration = client.getKubernetesSerialization().unmarshal(
                Files.readString(root.resolve("manifests/webhook/mutating-webhook-configuration.yaml")), MutatingWebhookConfiguration.class);
        configuration.getWebhooks().forEach(w -> w.setClientConfig(
                new WebhookClientConfigBuilder().withUrl("https://127.0.0.1:" + port + "/inject").build()));
        client.resource(configuration).create();
    }

    private static String namespace(KubernetesClient client, String name, boolean labeled) throws InterruptedException {
        NamespaceBuilder ns = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
        if (labeled) {
            ns.editMetadata().addToLabels("istio-injection", "enabled").endMetadata();
        }
        client.resource(ns.build()).create();
        // ServiceAccount admission wants namespace default's ServiceAccount; with no controller-manager, make it.
        client.resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder().withNewMetadata().withName("default")
                .withNamespace(name).endMetadata().withAutomountServiceAccountToken(false).build()).create();
        ServiceAccount sa = client.serviceAccounts().inNamespace(name).withName("default").get();
        if (sa == null) {
            throw new IllegalStateException("no ServiceAccount " + name + "/default");
        }
        return name;
    }

    /**
     * The webhook jar as the Deployment runs it (its JVM flags and environment, plus {@code extraFlags}), with no
     * certificate files, configured like kubectl by {@code kubeconfig}; output appended to {@code log}.
     */
    static Process start(Path root, Path jar, Path kubeconfig, List<String> extraFlags, int port, int httpPort, Path log)
            throws IOException {
        ProductionJvm jvm = ProductionJvm.fromDeployment(root.resolve("manifests/webhook/deployment.yaml"));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvm.flags());
        command.addAll(extraFlags);
        // Flags for an A/B run or a profiler agent; they come last, so they win.
        String extra = System.getProperty("bench.webhook.jvm", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        command.addAll(List.of("-jar", jar.toString(), "webhook", "--port=" + port, "--http-port=" + httpPort,
                "--config-namespace=istio-system", "--config-map=istio-inject", "--log-format=json", "--namespace=istio-system",
                "--service-name=sidecar-injector", "--cert-secret=sidecar-injector-certs", "--webhook-config=" + CONFIGURATION,
                "--tls-san=127.0.0.1"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.equals("JAVA_TOOL_OPTIONS"));
        pb.environment().putAll(jvm.env());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        return pb.start();
    }

    /** Seconds from {@code t0} (just before the process started) to the first 200 from /readyz. */
    static double awaitReady(Process webhook, int httpPort, long t0) throws Exception {
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!webhook.isAlive()) {
                throw new IllegalStateException("the webhook exited with status " + webhook.exitValue());
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/readyz")).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return (System.nanoTime() - t0) / 1e9;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("the webhook was not ready within 60 s");
    }

    private static void awaitCaBundle(KubernetesClient client) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            MutatingWebhookConfiguration c = client.resources(MutatingWebhookConfiguration.class).withName(CONFIGURATION).get();
            String ca = c.getWebhooks().get(0).getClientConfig().getCaBundle();
            if (ca != null && !ca.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the webhook wrote no caBundle into " + CONFIGURATION);
    }

    /** One start of the webhook with {@code flags} added: seconds to ready (and, on a first start, to a caBundle), then a stop. */
    private static double startToReady(KubernetesClient client, Path root, Path jar, Path dir, List<String> flags, int port, int httpPort,
            String label, boolean first) throws Exception {
        ControllerBenchmark.awaitIdleJvm();
        long t0 = System.nanoTime();
        Process webhook = start(root, jar, dir.resolve("kubeconfig"), flags, port, httpPort, dir.resolve("webhook-" + label + ".log"));
        try {
            double seconds = awaitReady(webhook, httpPort, t0);
            if (first) {
                awaitCaBundle(client);
            }
            return seconds;
        } finally {
            ControllerBenchmark.stop(webhook, Duration.ofSeconds(30));
        }
    }

    /** Deletes the Secret and the caBundle, so the next start is a first start. */
    private static void forgetCertificate(KubernetesClient client) throws InterruptedException {
        client.secrets().inNamespace("istio-system").withName("sidecar-injector-certs").withTimeout(30, TimeUnit.SECONDS).delete();
        MutatingWebhookConfiguration c = client.resources(MutatingWebhookConfiguration.class).withName(CONFIGURATION).get();
        c.getWebhooks().forEach(w -> w.getClientConfig().setCaBundle(null));
        client.resource(c).update();
    }

    /** One side of the comparison: where its pods go, what they look like, and whether they must come back injected. */
    private record Side(String name, String namespace, PodShape pods) {
        /** The pod every side starts from; {@code injected}: whether it must come back with the sidecar. */
        static PodShape plain(boolean injected) {
            return new PodShape(injected, name -> new PodBuilder().withNewMetadata().withName(name).endMetadata()
                    .withNewSpec().addNewContainer().withName("app").withImage("nginx:1.25").endContainer().endSpec().build());
        }

        /** A pod the webhook lets through as it is. */
        static PodShape optedOut() {
            return new PodShape(false, name -> new PodBuilder(plain(false).make().apply(name)).editMetadata()
                    .addToAnnotations("sidecar.istio.io/inject", "false").endMetadata().build());
        }

        /** What the webhook made of a plain pod, created as it is: the API server's cost of the bigger object alone. */
        static PodShape asInjected(Pod injected) {
            return new PodShape(true, name -> new PodBuilder(injected).withStatus(null).editMetadata().withName(name)
                    .withNamespace(null).withUid(null).withResourceVersion(null).withCreationTimestamp(null)
                    .withManagedFields(List.of()).withSelfLink(null).endMetadata().build());
        }
    }

    /** How a side's pods are made, and whether they must come back with the sidecar. */
    private record PodShape(boolean injected, java.util.function.Function<String, Pod> make) {}

    /**
     * Creates {@code count} pods in {@code namespace} on the pool and returns them as created; fails unless each
     * carries the sidecar exactly when it should.
     */
    private static List<Pod> createAll(KubernetesClient client, ExecutorService pool, String namespace, int count, AtomicInteger serial,
            PodShape shape) throws Exception {
        List<Future<Pod>> created = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Pod pod = shape.make().apply("p" + serial.incrementAndGet());
            created.add(pool.submit(() -> client.pods().inNamespace(namespace).resource(pod).create()));
        }
        List<Pod> pods = new ArrayList<>();
        for (Future<Pod> f : created) {
            Pod pod = f.get();
            boolean injected = pod.getSpec().getContainers().stream().anyMatch(c -> c.getName().equals("istio-proxy"));
            if (injected != shape.injected()) {
                throw new IllegalStateException("pod " + namespace + "/" + pod.getMetadata().getName() + (injected ? " was" : " was not")
                        + " injected: the comparison would be meaningless");
            }
            pods.add(pod);
        }
        return pods;
    }

    private static String get(int httpPort, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static final Pattern BUCKET = Pattern.compile("^(\\w*admission\\w*_seconds)_bucket\\{(.*)\\} (\\S+)$");
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    /**
     * The admission latency histogram's cumulative bucket counts by upper bound, summed over its label sets (every
     * result and reason): the first *admission*_seconds histogram on /metrics.
     */
    static Map<Double, Double> histogram(String metrics) {
        Map<Double, Double> buckets = new TreeMap<>();
        String family = null;
        for (String line : metrics.split("\n")) {
            Matcher m = BUCKET.matcher(line);
            if (!m.matches() || (family != null && !family.equals(m.group(1)))) {
                continue;
            }
            family = m.group(1);
            Matcher le = LE.matcher(m.group(2));
            if (le.find()) {
                double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
                buckets.merge(bound, Double.parseDouble(m.group(3)), Double::sum);
            }
        }
        if (buckets.isEmpty()) {
            throw new IllegalStateException("no *admission*_seconds_bucket histogram on /metrics");
        }
        return buckets;
    }

    private static double count(Map<Double, Double> histogram) {
        return histogram.get(Double.POSITIVE_INFINITY);
    }

    /** The upper bound of the bucket holding quantile {@code q} of what was observed between the two scrapes, in seconds. */
    static double percentile(Map<Double, Double> before, Map<Double, Double> after, double q) {
        double total = count(after) - count(before);
        for (Map.Entry<Double, Double> bucket : after.entrySet()) {
            double cumulative = bucket.getValue() - before.getOrDefault(bucket.getKey(), 0.0);
            if (cumulative >= q * total) {
                return bucket.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** The share of the requests between the two scrapes that took at most {@code bound} seconds, a bucket's upper bound. */
    static double within(Map<Double, Double> before, Map<Double, Double> after, double bound) {
        Double cumulative = after.get(bound);
        if (cumulative == null) {
            throw new IllegalArgumentException("no histogram bucket at " + bound + " s; buckets: " + after.keySet());
        }
        return (cumulative - before.getOrDefault(bound, 0.0)) / (count(after) - count(before));
    }

    /** How many of the requests between the two scrapes fell in each bucket, by its upper bound in ms. */
    static String distribution(Map<Double, Double> before, Map<Double, Double> after) {
        StringBuilder out = new StringBuilder();
        double below = 0;
        for (Map.Entry<Double, Double> bucket : after.entrySet()) {
            double cumulative = bucket.getValue() - before.getOrDefault(bucket.getKey(), 0.0);
            if (cumulative > below) {
                out.append(out.isEmpty() ? "" : ", ").append(bucket.getKey().isInfinite() ? "+Inf" : String.format(Locale.ROOT, "≤%s",
                        java.math.BigDecimal.valueOf(bucket.getKey() * 1000).stripTrailingZeros().toPlainString())).append(": ")
                        .append((long) (cumulative - below));
            }
            below = cumulative;
        }
        return out.toString();
    }

    /**
     * Quantile {@code q} of what was observed between the two scrapes, interpolated linearly inside its bucket as
     * Prometheus's {@code histogram_quantile} does: an estimate, where {@link #percentile} is a bound.
     */
    static double interpolated(Map<Double, Double> before, Map<Double, Double> after, double q) {
        double rank = q * (count(after) - count(before));
        double lowerBound = 0;
        double below = 0;
        for (Map.Entry<Double, Double> bucket : after.entrySet()) {
            double cumulative = bucket.getValue() - before.getOrDefault(bucket.getKey(), 0.0);
            if (cumulative >= rank) {
                if (bucket.getKey().isInfinite()) {
                    return lowerBound;
                }
                return lowerBound + (bucket.getKey() - lowerBound) * (rank - below) / Math.max(cumulative - below, 1e-9);
            }
            lowerBound = bucket.getKey();
            below = cumulative;
        }
        return Double.POSITIVE_INFINITY;
    }

    private static void run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO().redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        int status = pb.start().waitFor();
        if (status != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + status);
        }
    }

    /** User + system CPU time of any process, as the JDK reads it (from /proc/PID/stat on Linux). */
    private static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration())
                .orElseThrow(() -> new IllegalStateException("no CPU time for process " + pid)).toNanos() / 1e9;
    }

    private static double[] cpuSeconds(java.util.Collection<Long> pids) {
        double[] seconds = new double[pids.size()];
        int i = 0;
        for (long pid : pids) {
            seconds[i++] = cpuSeconds(pid);
        }
        return seconds;
    }

    private static long pid(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** VmRSS of one process, every 20 ms on a daemon thread, until stopped. */
    private static final class RssSampler {
        private final long pid;
        private final AtomicLong peakKib = new AtomicLong();
        private final AtomicLong lastKib = new AtomicLong();
        private volatile boolean running = true;
        private final Thread thread;

        RssSampler(long pid) {
            this.pid = pid;
            this.thread = new Thread(this::sample, "rss-sampler");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
        }

        double peakMib() {
            return peakKib.get() / 1024.0;
        }

        double lastMib() {
            return lastKib.get() / 1024.0;
        }

        private void sample() {
            while (running) {
                try {
                    long kib = ControllerBenchmark.statusKiB(pid, "VmRSS");
                    if (kib >= 0) {
                        lastKib.set(kib);
                        peakKib.accumulateAndGet(kib, Math::max);
                    }
                    Thread.sleep(20);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        }
    }
}
