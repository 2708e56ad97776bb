package io.sidecarinitializer.bench;

import io.sidecarinitializer.kubeinject.ManifestException;
import io.sidecarinitializer.kubeinject.ManifestRewriter;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.inject.Workload;
import io.sidecarinitializer.yaml.EntrySplicer;
import io.sidecarinitializer.yaml.KubeYaml;
import io.sidecarinitializer.yaml.RawDocument;
import io.sidecarinitializer.yaml.YamlDocuments;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * kube-inject throughput against its floor, in one JVM, rounds interleaved so that machine noise hits both
 * sides alike. The floor is what kube-inject cannot avoid: the same split, then a KubeYaml load and dump of
 * every document. kube-inject is {@link ManifestRewriter#rewrite} over the same text with the default config.
 *
 * <p>Not a test: a main that prints its figures. Run:
 * {@code ./mvnw -q -B test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.sidecarinitializer.bench.KubeInjectThroughputBenchmark}
 *
 * <p>System properties: {@code bench.docs} (10000), {@code bench.warmup} (3 rounds), {@code bench.rounds} (9).
 */
public final class KubeInjectThroughputBenchmark {
    private static final double TARGET_RATIO = 1.25;

    private KubeInjectThroughputBenchmark() {}

    public static void main(String[] args) throws Exception {
        int docs = Integer.getInteger("bench.docs", 10_000);
        int warmup = Integer.getInteger("bench.warmup", 3);
        int rounds = Integer.getInteger("bench.rounds", 9);

        String manifest = DeploymentGenerator.manifest(docs, 20170919L);
        System.out.printf(Locale.ROOT, "kube-inject throughput: %d Deployments, %.1f MB of YAML, %d warm-up + %d measured rounds (A/B interleaved)%n",
                docs, manifest.length() / 1e6, warmup, rounds);
        System.out.printf(Locale.ROOT, "JVM: %s %s, %d CPUs, max heap %d MB, GC %s%n",
                System.getProperty("java.vm.name"), System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, gcNames());

        Floor floor = new Floor();
        Inject inject = new Inject();
        // Same output length on every run of a side shows that the work is done and deterministic.
        long floorChars = floor.run(manifest);
        long injectChars = inject.run(manifest);
        System.out.printf(Locale.ROOT, "output: floor %d chars, kube-inject %d chars (%d workloads reported, %d injected)%n",
                floorChars, injectChars, inject.reported, inject.injected);
        if (inject.injected == 0) {
            throw new IllegalStateException("nothing was injected: the benchmark would measure the wrong path");
        }

        for (int i = 0; i < warmup; i++) {
            Sample a = measure(floor, manifest, floorChars);
            Sample b = measure(inject, manifest, injectChars);
            System.out.printf(Locale.ROOT, "warm-up %d: floor %7.0f ms   kube-inject %7.0f ms%n", i + 1, a.millis(), b.millis());
        }

        List<Sample> floors = new ArrayList<>();
        List<Sample> injects = new ArrayList<>();
        double[] pairRatios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            // Alternate which side goes first so neither always runs right after the other's garbage.
            Sample a;
            Sample b;
            if (i % 2 == 0) {
                a = measure(floor, manifest, floorChars);
                b = measure(inject, manifest, injectChars);
            } else {
                b = measure(inject, manifest, injectChars);
                a = measure(floor, manifest, floorChars);
            }
            floors.add(a);
            injects.add(b);
            pairRatios[i] = b.nanos / (double) a.nanos;
            System.out.printf(Locale.ROOT, "round %d: floor %7.0f ms   kube-inject %7.0f ms   ratio %.2f   (CPU time: %5.0f / %5.0f ms, ratio %.2f)%n",
                    i + 1, a.millis(), b.millis(), pairRatios[i], a.cpuMillis(), b.cpuMillis(), b.cpuNanos / (double) a.cpuNanos);
        }

        double floorMs = median(floors.stream().mapToDouble(Sample::millis).toArray());
        double injectMs = median(injects.stream().mapToDouble(Sample::millis).toArray());
        double ratio = injectMs / floorMs;
        System.out.println();
        System.out.printf(Locale.ROOT, "%-12s %10s %12s %10s %12s %14s %12s %10s%n", "side", "median ms", "docs/s", "CPU ms", "docs/CPU-s",
                "alloc B/doc", "GC ms/round", "GCs/round");
        report("floor", floors, docs);
        report("kube-inject", injects, docs);
        double cpuRatio = median(injects.stream().mapToDouble(Sample::cpuMillis).toArray()) / median(floors.stream().mapToDouble(Sample::cpuMillis).toArray());
        double pairRatio = median(pairRatios);
        System.out.printf(Locale.ROOT, "ratio kube-inject/floor: %.2f by thread CPU time (medians; other processes barely move it)%n", cpuRatio);
        System.out.printf(Locale.ROOT, "                         %.2f by wall time, median of the per-round ratios (min %.2f, max %.2f)%n",
                pairRatio, Arrays.stream(pairRatios).min().orElse(0), Arrays.stream(pairRatios).max().orElse(0));
        System.out.printf(Locale.ROOT, "                         %.2f by wall time, ratio of the medians (swings when the machine's load changes mid-run)%n", ratio);
        System.out.printf(Locale.ROOT, "target ratio <= %.2f: %s by CPU time, %s by per-round wall time%n", TARGET_RATIO,
                cpuRatio <= TARGET_RATIO ? "MET" : "NOT MET", pairRatio <= TARGET_RATIO ? "MET" : "NOT MET");
        System.out.printf(Locale.ROOT, "output written: floor %.1f MB/s of YAML, kube-inject %.1f MB/s (kube-inject writes %.2fx the floor's bytes)%n",
                floorChars / (floorMs * 1e3), injectChars / (injectMs * 1e3), injectChars / (double) floorChars);

        phases(manifest, Math.max(3, rounds / 2));
    }

    /**
     * Where kube-inject's time goes, per phase, with the same library calls as ManifestRewriter: how much is the
     * injection logic and how much is writing the bigger documents. Informational; thread CPU time per document.
     */
    private static void phases(String manifest, int passes) {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Injector injector = new Injector(InjectConfigParser.fromMap(new LinkedHashMap<>()), MeshConfig.defaults());
        KubeYaml yaml = new KubeYaml();
        EntrySplicer splicer = new EntrySplicer(yaml); // as ManifestRewriter writes injected documents
        List<RawDocument> docs = YamlDocuments.split(manifest);
        double[][] ms = new double[4][passes];
        for (int pass = 0; pass < passes; pass++) {
            long load = 0;
            long dumpAsRead = 0;
            long inject = 0;
            long dumpInjected = 0;
            StringBuilder out = new StringBuilder(manifest.length() * 3);
            for (RawDocument doc : docs) {
                long t0 = threads.getCurrentThreadCpuTime();
                Object tree = yaml.load(doc.body());
                long t1 = threads.getCurrentThreadCpuTime();
                yaml.dump(tree, out);
                long dumped = threads.getCurrentThreadCpuTime();
                // A second, untimed load: dumping the first tree warmed its strings (cached hash codes), which
                // would flatter the injected dump.
                @SuppressWarnings("unchecked")
                Map<String, Object> root = (Map<String, Object>) yaml.load(doc.body());
                long t2 = threads.getCurrentThreadCpuTime();
                Workload.of(root, "default").map(injector::evaluate).flatMap(Injector.Outcome::injection)
                        .ifPresent(injection -> injection.applyTo(splicer::standIn));
                long t3 = threads.getCurrentThreadCpuTime();
                splicer.dump(root, out);
                long t4 = threads.getCurrentThreadCpuTime();
                load += t1 - t0;
                dumpAsRead += dumped - t1;
                inject += t3 - t2;
                dumpInjected += t4 - t3;
                if (out.length() > manifest.length() * 2) {
                    out.setLength(0);
                }
            }
            ms[0][pass] = load / 1e6;
            ms[1][pass] = dumpAsRead / 1e6;
            ms[2][pass] = inject / 1e6;
            ms[3][pass] = dumpInjected / 1e6;
        }
        double l = median(ms[0]);
        double d = median(ms[1]);
        double i = median(ms[2]);
        double di = median(ms[3]);
        System.out.printf(Locale.ROOT, "%nphases (median of %d passes, CPU ms): load %.0f, dump as read %.0f, inject (decide+render+apply) %.0f, dump injected (spliced) %.0f%n",
                passes, l, d, i, di);
        System.out.printf(Locale.ROOT, "  floor = load + dump as read = %.0f; kube-inject = load + inject + dump injected = %.0f; ratio %.2f%n",
                l + d, l + i + di, (l + i + di) / (l + d));
        System.out.printf(Locale.ROOT, "  with injection logic free the ratio would still be %.2f: writing the injected documents costs %.2fx writing them as read%n",
                (l + di) / (l + d), di / d);
    }

    private static void report(String side, List<Sample> samples, int docs) {
        double ms = median(samples.stream().mapToDouble(Sample::millis).toArray());
        double alloc = median(samples.stream().mapToDouble(s -> s.allocatedBytes).toArray());
        double gcMs = median(samples.stream().mapToDouble(s -> s.gcMillis).toArray());
        double gcs = median(samples.stream().mapToDouble(s -> s.gcCount).toArray());
        double cpu = median(samples.stream().mapToDouble(Sample::cpuMillis).toArray());
        System.out.printf(Locale.ROOT, "%-12s %10.0f %12.0f %10.0f %12.0f %14.0f %12.0f %10.0f%n", side, ms, docs / (ms / 1000), cpu, docs / (cpu / 1000),
                alloc / docs, gcMs, gcs);
    }

    private interface Side {
        long run(String manifest) throws ManifestException;
    }

    /**
     * Split as kube-inject splits, then load and dump every document with the same KubeYaml and the same calls:
     * what any kube-inject built on this YAML library has to do even if injection were free.
     */
    private static final class Floor implements Side {
        @Override
        public long run(String manifest) {
            KubeYaml yaml = new KubeYaml();
            StringBuilder out = new StringBuilder(manifest.length() + manifest.length() / 2);
            for (RawDocument doc : YamlDocuments.split(manifest.getBytes(StandardCharsets.UTF_8))) {
                Object tree = yaml.load(doc.body());
                out.append(doc.hasSeparator() ? "---\n" : "");
                yaml.dump(tree, out); // the same call ManifestRewriter writes with
            }
            return out.toString().getBytes(StandardCharsets.UTF_8).length; // kube-inject hands back bytes too
        }
    }

    /** What {@code kube-inject -f FILE} does with no config flags, minus reading and printing. */
    private static final class Inject implements Side {
        long reported;
        long injected;

        @Override
        public long run(String manifest) throws ManifestException {
            reported = 0;
            injected = 0;
            Injector injector = new Injector(InjectConfigParser.fromMap(new LinkedHashMap<>()), MeshConfig.defaults());
            ManifestRewriter rewriter = new ManifestRewriter(injector, "default", line -> {
                reported++;
                if (line.endsWith(": injected")) {
                    injected++;
                }
            });
            return rewriter.rewrite("bench.yaml", manifest.getBytes(StandardCharsets.UTF_8)).length;
        }
    }

    /** Wall time, and the benchmark thread's CPU time, which other processes on a busy machine disturb far less. */
    private record Sample(long nanos, long cpuNanos, long allocatedBytes, long gcMillis, long gcCount) {
        double millis() {
            return nanos / 1e6;
        }

        double cpuMillis() {
            return cpuNanos / 1e6;
        }
    }

    private static Sample measure(Side side, String manifest, long expectedChars) throws ManifestException {
        System.gc(); // start each side from a clean heap: the other side's garbage is not its cost
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long gcMs0 = gcMillis();
        long gcN0 = gcCount();
        long alloc0 = threads.getThreadAllocatedBytes(tid);
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long chars = side.run(manifest);
        long t1 = System.nanoTime();
        long cpu1 = threads.getCurrentThreadCpuTime();
        long alloc1 = threads.getThreadAllocatedBytes(tid);
        if (chars != expectedChars) {
            throw new IllegalStateException("output changed between runs: " + chars + " != " + expectedChars);
        }
        return new Sample(t1 - t0, cpu1 - cpu0, alloc1 - alloc0, gcMillis() - gcMs0, gcCount() - gcN0);
    }

    private static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    private static long gcCount() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionCount());
        }
        return sum;
    }

    private static String gcNames() {
        List<String> names = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            names.add(gc.getName());
        }
        return String.join("+", names);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Realistic apps/v1 Deployments, the same for a given seed. */
    static final class DeploymentGenerator {
        private static final String[] NAMESPACES = {"default", "shop", "payments", "search", "staging", "team-a", "team-b", "monitoring"};
        private static final String[] APPS = {"frontend", "cart", "checkout", "catalog", "auth", "ratings", "reviews", "details",
            "productpage", "gateway", "worker", "scheduler", "indexer", "notifier", "billing", "inventory"};
        private static final String[] TIERS = {"web", "api", "backend", "batch"};
        private static final String[] IMAGES = {"nginx:1.25.3", "gcr.io/google_containers/echoserver:1.4",
            "docker.io/istio/examples-bookinfo-ratings-v1:1.18.0", "registry.example.com/shop/cart:2.3.1",
            "redis:7.2-alpine", "quay.io/prometheus/node-exporter:v1.7.0", "ghcr.io/acme/worker@sha256:4f1c0e7b9d"};
        private static final String[] SIDE_NAMES = {"log-shipper", "metrics", "config-reloader"};

        private DeploymentGenerator() {}

        static String manifest(int count, long seed) {
            Random r = new Random(seed);
            StringBuilder sb = new StringBuilder(count * 1400);
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    sb.append("---\n");
                }
                deployment(sb, r, i);
            }
            return sb.toString();
        }

        private static void deployment(StringBuilder sb, Random r, int i) {
            String app = APPS[r.nextInt(APPS.length)];
            String name = app + "-" + Integer.toString(i, 36) + (r.nextInt(3) == 0 ? "-v" + (1 + r.nextInt(3)) : "");
            String ns = NAMESPACES[r.nextInt(NAMESPACES.length)];
            String tier = TIERS[r.nextInt(TIERS.length)];
            String version = "v" + (1 + r.nextInt(3));
            sb.append("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n");
            sb.append("  name: ").append(name).append('\n');
            sb.append("  namespace: ").append(ns).append('\n');
            sb.append("  labels:\n    app: ").append(app).append("\n    tier: ").append(tier).append('\n');
            if (r.nextInt(4) == 0) {
                sb.append("    app.kubernetes.io/managed-by: helm\n    helm.sh/chart: ").append(app).append("-0.").append(r.nextInt(20)).append(".0\n");
            }
            if (r.nextInt(3) == 0) {
                sb.append("  annotations:\n    deployment.kubernetes.io/revision: \"").append(1 + r.nextInt(40)).append("\"\n");
                sb.append("    description: ").append(app).append(" service for the ").append(ns).append(" team\n");
            }
            sb.append("spec:\n  replicas: ").append(1 + r.nextInt(5)).append('\n');
            if (r.nextBoolean()) {
                sb.append("  revisionHistoryLimit: 10\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0\n");
            }
            sb.append("  selector:\n    matchLabels:\n      app: ").append(app).append("\n      version: ").append(version).append('\n');
            sb.append("  template:\n    metadata:\n");
            if (r.nextInt(4) == 0) {
                sb.append("      annotations:\n        prometheus.io/scrape: \"true\"\n        prometheus.io/port: \"9090\"\n");
            }
            sb.append("      labels:\n        app: ").append(app).append("\n        version: ").append(version).append('\n');
            sb.append("    spec:\n");
            if (r.nextInt(3) == 0) {
                sb.append("      serviceAccountName: ").append(app).append('\n');
            }
            sb.append("      containers:\n");
            int containers = 1 + r.nextInt(3);
            for (int c = 0; c < containers; c++) {
                container(sb, r, c == 0 ? app : SIDE_NAMES[c - 1]);
            }
            if (r.nextInt(3) == 0) {
                sb.append("      volumes:\n      - name: config\n        configMap:\n          name: ").append(app).append("-config\n");
            }
        }

        private static void container(StringBuilder sb, Random r, String name) {
            sb.append("      - name: ").append(name).append('\n');
            sb.append("        image: ").append(IMAGES[r.nextInt(IMAGES.length)]).append('\n');
            if (r.nextInt(4) == 0) {
                sb.append("        imagePullPolicy: IfNotPresent\n");
            }
            if (r.nextInt(5) == 0) {
                sb.append("        args: [\"--port=").append(8080 + r.nextInt(10)).append("\", \"--log-level=info\"]\n");
            }
            int ports = r.nextInt(3);
            if (ports > 0) {
                sb.append("        ports:\n");
                for (int p = 0; p < ports; p++) {
                    sb.append("        - containerPort: ").append(p == 0 ? 8080 : 9090 + p).append('\n');
                    sb.append("          name: ").append(p == 0 ? "http" : "metrics" + p).append('\n');
                    sb.append("          protocol: TCP\n");
                }
            }
            int env = r.nextInt(4);
            if (env > 0) {
                sb.append("        env:\n");
                for (int e = 0; e < env; e++) {
                    sb.append("        - name: VAR_").append(e).append('\n');
                    switch (r.nextInt(3)) {
                        case 0 -> sb.append("          value: \"").append(r.nextInt(1000)).append("\"\n");
                        case 1 -> sb.append("          value: enabled\n");
                        default -> sb.append("          valueFrom:\n            fieldRef:\n              fieldPath: metadata.namespace\n");
                    }
                }
            }
            sb.append("        resources:\n          requests:\n            cpu: ").append(50 * (1 + r.nextInt(4))).append("m\n");
            sb.append("            memory: ").append(64 << r.nextInt(3)).append("Mi\n");
            if (r.nextBoolean()) {
                sb.append("          limits:\n            cpu: \"1\"\n            memory: 512Mi\n");
            }
            if (r.nextInt(3) == 0) {
                sb.append("        readinessProbe:\n          httpGet:\n            path: /healthz\n            port: 8080\n          periodSeconds: 10\n");
            }
        }
    }
}
