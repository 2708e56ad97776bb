package io.sidecarinitializer.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.cluster.ApiServerDispatcher;
import io.sidecarinitializer.cluster.ControllerOptions;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.SidecarController;
import io.sidecarinitializer.config.InjectConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * The controller against fabric8's CRUD mock API server, as the controller issue asks:
 *
 * <ol>
 *   <li><b>Burst</b>: {@code bench.objects} (1,000) Deployments with our initializer pending, created by
 *       {@code bench.creators} (4) threads as fast as the server takes them. Throughput is objects over the time
 *       from the first create to the last initialization; latency runs from each create call returning to a
 *       watch in this process seeing our entry gone (not creationTimestamp, which has 1 s resolution). The
 *       <i>floor</i> is the least an initializer can do on the same server, with the same client settings and
 *       the same burst: one watch, and for each ADDED object whose {@code pending[0]} is ours one JSON Patch
 *       ({@code test} pending/0/name, remove), on as many threads as java-operator-sdk reconciles with (50); no
 *       decision, no injection, no Event. Floor and controller alternate over {@code bench.rounds} (7) rounds,
 *       each on a fresh server, after {@code bench.warmupRounds} (3) unreported warm-up runs of each (for the
 *       JIT). Each run starts with 100 unmeasured objects, since a running controller meets a burst with its
 *       threads and connections up; they are deleted (with any Events) before the measured burst. Medians, the
 *       per-round ratios and when the controller's last Event was written are reported.</li>
 *   <li><b>Process</b>: the real jar as its own JVM ({@code controller --mode=initializer}), with the JVM flags
 *       and environment the Deployment in {@code manifests/reconcile} gives it ({@link ProductionJvm}: its memory limit as
 *       {@code -XX:MaxRAM}, its {@code JAVA_TOOL_OPTIONS}), and a class-data sharing archive made as the Dockerfile
 *       makes it ({@link ImageClassList}, then {@code -Xshare:dump}; {@code bench.cds=false} runs without,
 *       {@code bench.classList} uses a given class list), KUBECONFIG pointing at a mock server in this process that
 *       also pages
 *       lists as kube-apiserver does. Start-to-ready (process start to the first 200 from /readyz) on an empty
 *       server ({@code bench.readyRuns}, 3 runs); then {@code bench.cached} (10,000) Deployments preloaded with
 *       our initializer pending: start-to-ready, time until all are initialized, VmRSS once settled; then a
 *       restart on the same, now initialized, Deployments: start-to-ready and settled VmRSS; then the same in
 *       reconcile mode ({@code --mode=reconcile}), which caches every object. Heap before and
 *       after a full GC comes from {@code jcmd}.</li>
 * </ol>
 *
 * <p>Not a test: a main that prints its figures. Package first, then run:
 * {@code ./mvnw -q -B package -DskipTests && ./mvnw -q -B exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.sidecarinitializer.bench.ControllerBenchmark}. Other properties: {@code bench.jar}
 * (target/sidecar-initializer.jar, copied first so a parallel build cannot swap it), {@code bench.jvmFlags}
 * (replaces the production-like flags), {@code bench.jfr} (a JFR recording of each controller process),
 * {@code bench.burst} / {@code bench.process} (false skips that part), {@code bench.only} (controller or floor:
 * only that side of the burst, for profiling), {@code bench.floorEvents} (the floor also writes one Event per
 * object, to weigh what Events cost the server), {@code bench.detail} (latency split, startup request
 * timeline, class histogram), {@code bench.window} (each measured burst's start and end on the wall clock, to cut
 * a profile of the whole run, such as a JFR recording of this JVM, down to the measured windows).
 */
public final class ControllerBenchmark {
    static final String OURS = InjectConfig.DEFAULT_INITIALIZER_NAME;
    static final ResourceDefinitionContext DEPLOYMENTS = new ResourceDefinitionContext.Builder()
            .withGroup("apps").withVersion("v1").withKind("Deployment").withPlural("deployments").withNamespaced(true).build();
    /** Objects each initializer handles, unmeasured, on its own server just before the measured burst. */
    static final int WARM_OBJECTS = 100;
    static final double THROUGHPUT_TARGET = 0.7;
    static final double P99_TARGET = 2.0;
    static final double RSS_TARGET_MIB = 300;
    static final double READY_TARGET_SECONDS = 3;
    /** java.util.logging keeps loggers weakly; the mock server logs through it. */
    private static final List<java.util.logging.Logger> JUL =
            Stream.of("io.fabric8", "io.vertx").map(java.util.logging.Logger::getLogger).toList();

    private ControllerBenchmark() {}

    public static void main(String[] args) throws Exception {
        // The controller's main sets 2 (Main.asyncPoolOfAtLeastTwo); .mvn/jvm.config does it for this JVM, floor included.
        if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2) {
            System.out.println("warning: the common fork-join pool has parallelism "
                    + java.util.concurrent.ForkJoinPool.getCommonPoolParallelism()
                    + ", so the Kubernetes client starts a thread per asynchronous step; .mvn/jvm.config sets 2,"
                    + " as the controller's main does");
        }
        quietLogs();
        int objects = Integer.getInteger("bench.objects", 1000);
        int rounds = Integer.getInteger("bench.rounds", 7);
        int creators = Integer.getInteger("bench.creators", 4);
        int cached = Integer.getInteger("bench.cached", 10_000);
        System.out.printf(Locale.ROOT, "ControllerBenchmark: %d CPUs, Java %s, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("os.name"));
        List<String> results = new ArrayList<>();
        if (!"false".equals(System.getProperty("bench.burst"))) {
            results.addAll(burst(objects, rounds, creators));
        }
        if (!"false".equals(System.getProperty("bench.process"))) {
            results.addAll(process(cached, Integer.getInteger("bench.readyRuns", 3)));
        }
        System.out.println();
        System.out.println("=== Results ===");
        results.forEach(System.out::println);
        System.out.flush();
    }

    // ---------------------------------------------------------------- burst

    /** One burst: what it took and what each object waited. */
    record BurstRun(String what, int objects, double createSeconds, double totalSeconds, long[] latencyNanos, long requests,
                    int events, int eventsDuringBurst, double lastEventSeconds) {
        double throughput() {
            return objects / totalSeconds;
        }

        double percentileMillis(double p) {
            long[] sorted = latencyNanos.clone();
            Arrays.sort(sorted);
            int index = (int) Math.ceil(p * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
        }

        String line() {
            return String.format(Locale.ROOT, "%-10s %5d objects: creates took %5.2f s, all initialized after %5.2f s -> %6.1f obj/s;"
                            + " latency p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms; %d requests to the server",
                    what, objects, createSeconds, totalSeconds, throughput(), percentileMillis(0.50), percentileMillis(0.99),
                    percentileMillis(1.0), requests) + (events == 0 ? "" : String.format(Locale.ROOT,
                    ", %d Events (%d before the last object was initialized), the last %.2f s after the first create",
                    events, eventsDuringBurst, lastEventSeconds));
        }
    }

    /** Something that initializes pending Deployments on a server until closed. */
    interface Initializer extends AutoCloseable {
        @Override
        void close();
    }

    static List<String> burst(int objects, int rounds, int creators) throws Exception {
        System.out.printf(Locale.ROOT, "%n== Burst: %d pending Deployments created by %d threads; fresh CRUD mock server per run ==%n",
                objects, creators);
        Function<ApiServer, Initializer> floor = Floor::start;
        Function<ApiServer, Initializer> controller = ControllerBenchmark::startController;
        int warmup = objects;
        String only = System.getProperty("bench.only", "");
        if (!only.isEmpty()) {
            // For profiling one side: -Dbench.only=controller|floor runs just that, rounds times, and reports no ratios.
            Function<ApiServer, Initializer> starter = only.equals("floor") ? floor : controller;
            for (int round = 0; round <= rounds; round++) {
                System.out.println((round == 0 ? "warm-up: " : "round " + round + ": ")
                        + runBurst(only, starter, round == 0 ? warmup : objects, creators).line());
            }
            return List.of();
        }
        // The mock server runs in this JVM and both sides share its code: it takes some thousand requests before
        // the JIT settles, and until then each round is faster than the last, which muddles a median of either side.
        int warmupRounds = Integer.getInteger("bench.warmupRounds", 3);
        System.out.println("warm-up (not counted):");
        for (int i = 0; i < warmupRounds; i++) {
            System.out.println("  " + runBurst("floor", floor, warmup, creators).line());
            System.out.println("  " + runBurst("controller", controller, warmup, creators).line());
        }
        List<BurstRun> floors = new ArrayList<>();
        List<BurstRun> controllers = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            System.out.println("round " + round + ":");
            // Alternate which goes first, so a trend in machine noise does not favour one.
            boolean floorFirst = round % 2 == 1;
            for (int i = 0; i < 2; i++) {
                boolean isFloor = (i == 0) == floorFirst;
                BurstRun run = isFloor ? runBurst("floor", floor, objects, creators) : runBurst("controller", controller, objects, creators);
                (isFloor ? floors : controllers).add(run);
                System.out.println("  " + run.line());
            }
        }
        double floorThroughput = median(floors, BurstRun::throughput);
        double controllerThroughput = median(controllers, BurstRun::throughput);
        double floorP50 = median(floors, r -> r.percentileMillis(0.50));
        double controllerP50 = median(controllers, r -> r.percentileMillis(0.50));
        double floorP99 = median(floors, r -> r.percentileMillis(0.99));
        double controllerP99 = median(controllers, r -> r.percentileMillis(0.99));
        double throughputRatio = controllerThroughput / floorThroughput;
        double[] pairRatios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            pairRatios[i] = controllers.get(i).throughput() / floors.get(i).throughput();
        }
        double pairRatio = median(Arrays.stream(pairRatios).boxed().toList(), d -> d);
        double p99Ratio = controllerP99 / floorP99;
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "burst of %d pending Deployments, medians of %d rounds (CRUD mock server, %d creator threads):",
                objects, rounds, creators));
        lines.add(String.format(Locale.ROOT, "  throughput   controller %7.1f obj/s   floor %7.1f obj/s   ratio %.2f (target >= %.1f) %s",
                controllerThroughput, floorThroughput, throughputRatio, THROUGHPUT_TARGET, verdict(throughputRatio >= THROUGHPUT_TARGET)));
        lines.add(String.format(Locale.ROOT, "               ratio within each round: median %.2f (min %.2f, max %.2f)",
                pairRatio, Arrays.stream(pairRatios).min().orElse(0), Arrays.stream(pairRatios).max().orElse(0)));
        lines.add(String.format(Locale.ROOT, "  Events       controller wrote %d per round (median), the last %.2f s after the first create"
                + " (initialized after %.2f s): Normal Events wait for the burst to end", Math.round(median(controllers, r -> r.events())),
                median(controllers, BurstRun::lastEventSeconds), median(controllers, BurstRun::totalSeconds)));
        lines.add(String.format(Locale.ROOT, "  latency p50  controller %7.1f ms      floor %7.1f ms      ratio %.2f",
                controllerP50, floorP50, controllerP50 / floorP50));
        lines.add(String.format(Locale.ROOT, "  latency p99  controller %7.1f ms      floor %7.1f ms      ratio %.2f (target <= %.1f) %s",
                controllerP99, floorP99, p99Ratio, P99_TARGET, verdict(p99Ratio <= P99_TARGET)));
        return lines;
    }

    static Initializer startController(ApiServer api) {
        SidecarController controller = SidecarController.start(api.newClient(), ControllerOptions.defaults().withMode(Mode.INITIALIZER)
                .withHttpPort(ControllerOptions.NO_HTTP).withLeaderElection(false).withIdentity("bench"));
        try {
            if (!controller.awaitReady(Duration.ofSeconds(60))) {
                throw new IllegalStateException("controller not ready: " + controller.readiness());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return controller::close;
    }

    static BurstRun runBurst(String what, Function<ApiServer, Initializer> starter, int objects, int creators) throws Exception {
        try (ApiServer api = ApiServer.withInitializers()) {
            Observer observer = Observer.start(api.newClient());
            try (Initializer initializer = starter.apply(api)) {
                awaitCanary(api, observer);
                KubernetesClient client = api.newClient();
                // A short burst first, not measured: a controller meets bursts warm, with its threads and connections up.
                List<GenericKubernetesResource> warm = new ArrayList<>();
                for (int i = 0; i < WARM_OBJECTS; i++) {
                    warm.add(deployment(client, "warm", String.format(Locale.ROOT, "w%05d", i)));
                }
                createAll(client, warm, creators, new ConcurrentHashMap<>());
                long warmDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (observer.doneCount("warm") < WARM_OBJECTS && System.nanoTime() < warmDeadline) {
                    Thread.sleep(5);
                }
                awaitQuiet(api);
                // The mock scans every stored object on each request, so each side's leftovers from the warm-up
                // (the controller's include its Events) would tax its measured burst: both start from an empty server.
                client.genericKubernetesResources(DEPLOYMENTS).inNamespace("warm").delete();
                client.v1().events().inNamespace("warm").delete();
                awaitQuiet(api);
                List<GenericKubernetesResource> bodies = new ArrayList<>();
                for (int i = 0; i < objects; i++) {
                    bodies.add(deployment(client, "bench", String.format(Locale.ROOT, "d%05d", i)));
                }
                Map<String, Long> created = new ConcurrentHashMap<>();
                long requestsBefore = api.dispatcher.requests().size();
                long startMillis = System.currentTimeMillis();
                long start = System.nanoTime();
                createAll(client, bodies, creators, created);
                long createdAll = System.nanoTime();
                long deadline = createdAll + TimeUnit.SECONDS.toNanos(120);
                while (observer.doneCount("bench") < objects) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(what + ": only " + observer.doneCount("bench") + " of " + objects
                                + " initialized within 120 s");
                    }
                    Thread.sleep(2);
                }
                long lastDone = observer.lastDone("bench");
                if (Boolean.getBoolean("bench.window")) {
                    // The measured window on the wall clock (UTC), to cut a profile of the whole run down to it.
                    System.out.println("    window " + java.time.Instant.ofEpochMilli(startMillis) + " "
                            + java.time.Instant.ofEpochMilli(startMillis + (lastDone - start) / 1_000_000));
                }
                awaitQuiet(api);
                long[] latencies = created.entrySet().stream()
                        .mapToLong(e -> Math.max(0, observer.doneAt("bench/" + e.getKey()) - e.getValue())).toArray();
                if (Boolean.getBoolean("bench.detail")) {
                    // Where the slow ones are: the worst latency per tenth of the burst, in creation order.
                    List<Map.Entry<String, Long>> byCreation = created.entrySet().stream().sorted(Map.Entry.comparingByValue()).toList();
                    StringBuilder line = new StringBuilder("    worst per tenth of the burst (ms):");
                    for (int tenth = 0; tenth < 10; tenth++) {
                        long worst = 0;
                        for (Map.Entry<String, Long> e : byCreation.subList(tenth * objects / 10, (tenth + 1) * objects / 10)) {
                            worst = Math.max(worst, observer.doneAt("bench/" + e.getKey()) - e.getValue());
                        }
                        line.append(String.format(Locale.ROOT, " %.0f", worst / 1e6));
                    }
                    System.out.println(line);
                    // Split each latency at the moment the server applied the PATCH (wall clock, ms).
                    long nanoToMillis = System.currentTimeMillis() - System.nanoTime() / 1_000_000;
                    Map<String, Long> patchedAt = new java.util.HashMap<>();
                    api.dispatcher.requests().stream().filter(r -> r.method().equals("PATCH") && r.status() / 100 == 2
                            && r.path().startsWith("/apis/apps/v1/namespaces/bench/deployments/"))
                            .forEach(r -> patchedAt.merge(r.path().substring(r.path().lastIndexOf('/') + 1), r.atMillis(), Math::min));
                    long[] toPatch = created.entrySet().stream().mapToLong(e -> patchedAt.get(e.getKey()) - (e.getValue() / 1_000_000 + nanoToMillis)).sorted().toArray();
                    long[] afterPatch = created.keySet().stream().mapToLong(k -> observer.doneAt("bench/" + k) / 1_000_000 + nanoToMillis - patchedAt.get(k)).sorted().toArray();
                    System.out.printf(Locale.ROOT, "    create->PATCH applied p50 %d p99 %d max %d ms; PATCH applied->observer p50 %d p99 %d max %d ms%n",
                            toPatch[toPatch.length / 2], toPatch[toPatch.length * 99 / 100], toPatch[toPatch.length - 1],
                            afterPatch[afterPatch.length / 2], afterPatch[afterPatch.length * 99 / 100], afterPatch[afterPatch.length - 1]);
                }
                List<ApiServerDispatcher.Seen> events = api.dispatcher.requests().stream()
                        .filter(r -> r.method().equals("POST") && r.path().startsWith("/api/v1/namespaces/bench/events")).toList();
                long lastDoneMillis = startMillis + (lastDone - start) / 1_000_000;
                return new BurstRun(what, objects, (createdAll - start) / 1e9, (lastDone - start) / 1e9, latencies,
                        api.dispatcher.requests().size() - requestsBefore, events.size(),
                        (int) events.stream().filter(r -> r.atMillis() <= lastDoneMillis).count(),
                        (events.stream().mapToLong(ApiServerDispatcher.Seen::atMillis).max().orElse(startMillis) - startMillis) / 1e3);
            } finally {
                observer.close();
            }
        }
    }

    /**
     * Waits until both the observer and the initializer see objects: the mock drops events for a watch whose
     * WebSocket is not open yet, so a canary must round-trip before the burst.
     */
    private static void awaitCanary(ApiServer api, Observer observer) throws InterruptedException {
        KubernetesClient client = api.client;
        client.genericKubernetesResources(DEPLOYMENTS).inNamespace("canary").resource(deployment(client, "canary", "canary")).create();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (observer.doneCount("canary") < 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the canary was not initialized within 30 s");
            }
            Thread.sleep(5);
        }
    }

    /** Waits until the server has had no request for 200 ms (the controller's Events follow its PATCHes), at most 10 s. */
    private static void awaitQuiet(ApiServer api) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int seen = -1;
        while (System.nanoTime() < deadline) {
            int now = api.dispatcher.requests().size();
            if (now == seen) {
                return;
            }
            seen = now;
            Thread.sleep(200);
        }
    }

    static void createAll(KubernetesClient client, List<GenericKubernetesResource> bodies, int creators, Map<String, Long> created)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(creators);
        try {
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < creators; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
                        GenericKubernetesResource body = bodies.get(i);
                        client.genericKubernetesResources(DEPLOYMENTS).inNamespace(body.getMetadata().getNamespace()).resource(body).create();
                        created.put(body.getMetadata().getName(), System.nanoTime());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A Deployment like the samples' echo, with our initializer pending. */
    static GenericKubernetesResource deployment(KubernetesClient client, String namespace, String name) {
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", "echo");
        container.put("image", "gcr.io/google_containers/echoserver:1.4");
        container.put("ports", List.of(Map.of("containerPort", 8080)));
        Map<String, Object> labels = Map.of("app", name);
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("apiVersion", "apps/v1");
        object.put("kind", "Deployment");
        object.put("metadata", Map.of("name", name, "namespace", namespace, "labels", labels,
                "initializers", Map.of("pending", List.of(Map.of("name", OURS)))));
        object.put("spec", Map.of("replicas", 1, "selector", Map.of("matchLabels", labels),
                "template", Map.of("metadata", Map.of("labels", labels), "spec", Map.of("containers", List.of(container)))));
        return client.getKubernetesSerialization().convertValue(object, GenericKubernetesResource.class);
    }

    /** The pending initializer names of an object as fabric8 hands it over; our model keeps them as an extra field. */
    static List<String> pending(GenericKubernetesResource r) {
        Object initializers = r.getMetadata().getAdditionalProperties().get("initializers");
        if (initializers instanceof Map<?, ?> m && m.get("pending") instanceof List<?> list) {
            return list.stream().map(e -> e instanceof Map<?, ?> entry ? String.valueOf(entry.get("name")) : "").toList();
        }
        return List.of();
    }

    /** Watches Deployments and notes when each first shows up without our entry pending. */
    /**
     * Sees objects initialized: a watch on all Deployments that reads, of each event, only its type and the object's
     * namespace, name and pending initializers, streaming past the rest. It is the measuring instrument and shares the
     * two cores with what it measures, so its cost must not grow with the objects: an injected Deployment is three
     * times the bytes of a pending one, and a full parse of each would tax the controller's side and not the floor's.
     */
    static final class Observer implements WebSocket.Listener, AutoCloseable {
        private static final JsonFactory JSON = new JsonFactory();
        private final Map<String, Long> done = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> perNamespace = new ConcurrentHashMap<>();
        private final Map<String, Long> lastPerNamespace = new ConcurrentHashMap<>();
        private final StringBuilder frame = new StringBuilder();
        private WebSocket socket;

        static Observer start(KubernetesClient client) {
            Observer o = new Observer();
            String url = client.getMasterUrl().toString().replaceFirst("^http", "ws").replaceAll("/$", "")
                    + "/apis/apps/v1/deployments?watch=true";
            o.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), o).join();
            return o;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            frame.append(data);
            if (last) {
                try {
                    eventReceived(frame.toString());
                } catch (IOException e) {
                    System.err.println("observer: unreadable watch event: " + e);
                }
                frame.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        /** {@code {"type": …, "object": {"metadata": {"name", "namespace", "initializers": {"pending": [{"name"}]}}}}}. */
        private void eventReceived(String event) throws IOException {
            String type = null;
            String name = null;
            String namespace = null;
            boolean ours = false;
            try (JsonParser p = JSON.createParser(event)) {
                p.nextToken();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    if (field.equals("type")) {
                        type = p.getText();
                    } else if (field.equals("object")) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String objectField = p.currentName();
                            p.nextToken();
                            if (!objectField.equals("metadata")) {
                                p.skipChildren();
                                continue;
                            }
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String metaField = p.currentName();
                                p.nextToken();
                                switch (metaField) {
                                    case "name" -> name = p.getText();
                                    case "namespace" -> namespace = p.getText();
                                    case "initializers" -> ours = pendingIncludesOurs(p);
                                    default -> p.skipChildren();
                                }
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            }
            if (("ADDED".equals(type) || "MODIFIED".equals(type)) && !ours && name != null) {
                long now = System.nanoTime();
                if (done.putIfAbsent(namespace + "/" + name, now) == null) {
                    lastPerNamespace.merge(namespace, now, Math::max);
                    perNamespace.computeIfAbsent(namespace, n -> new AtomicInteger()).incrementAndGet();
                }
            }
        }

        /** At {@code initializers}' value: whether {@code pending} names ours; leaves the parser after the value. */
        private static boolean pendingIncludesOurs(JsonParser p) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                return false;
            }
            boolean ours = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("pending") && p.currentToken() == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String entryField = p.currentName();
                            p.nextToken();
                            if (entryField.equals("name") && OURS.equals(p.getText())) {
                                ours = true;
                            }
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            return ours;
        }

        int doneCount(String namespace) {
            AtomicInteger n = perNamespace.get(namespace);
            return n == null ? 0 : n.get();
        }

        int doneCount() {
            return done.size();
        }

        long lastDone(String namespace) {
            return lastPerNamespace.get(namespace);
        }

        long doneAt(String key) {
            Long at = done.get(key);
            if (at == null) {
                throw new IllegalStateException(key + " was not seen initialized");
            }
            return at;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            System.err.println("observer watch failed: " + error);
        }

        @Override
        public void close() {
            if (socket != null) {
                socket.abort();
            }
        }
    }

    /**
     * The floor: the least an initializer does. A watch; for each object whose first pending initializer is
     * ours, one JSON Patch that tests and removes that entry, on as many threads as java-operator-sdk uses.
     */
    static final class Floor implements Watcher<GenericKubernetesResource>, Initializer {
        /** Diagnostic: also write one Event per object after the PATCH, as the controller does. */
        static final boolean WITH_EVENTS = Boolean.getBoolean("bench.floorEvents");
        private final KubernetesClient client;
        private final ExecutorService workers = Executors.newFixedThreadPool(50);
        private final Set<String> handled = ConcurrentHashMap.newKeySet();
        private Watch watch;

        private Floor(KubernetesClient client) {
            this.client = client;
        }

        static Floor start(ApiServer api) {
            Floor f = new Floor(api.newClient());
            f.watch = f.client.genericKubernetesResources(DEPLOYMENTS).inAnyNamespace().watch(f);
            return f;
        }

        @Override
        public void eventReceived(Action action, GenericKubernetesResource r) {
            List<String> pending = pending(r);
            if (action == Action.DELETED || pending.isEmpty() || !pending.get(0).equals(OURS)
                    || !handled.add(r.getMetadata().getUid() + "@" + r.getMetadata().getResourceVersion())) {
                return;
            }
            String ops = "[{\"op\":\"test\",\"path\":\"/metadata/initializers/pending/0/name\",\"value\":\"" + OURS + "\"},"
                    + (pending.size() == 1 ? "{\"op\":\"remove\",\"path\":\"/metadata/initializers\"}]"
                    : "{\"op\":\"remove\",\"path\":\"/metadata/initializers/pending/0\"}]");
            workers.execute(() -> {
                try {
                    // resource(r), not withName(): fabric8 would GET the object before a PATCH by name.
                    client.genericKubernetesResources(DEPLOYMENTS).inNamespace(r.getMetadata().getNamespace())
                            .resource(r).patch(PatchContext.of(PatchType.JSON), ops);
                    if (WITH_EVENTS) {
                        client.v1().events().inNamespace(r.getMetadata().getNamespace()).resource(event(r)).create();
                    }
                } catch (KubernetesClientException e) {
                    // A failed test: someone else changed the list; the watch brings the new state.
                    if (e.getCode() != 422 && e.getCode() != 409 && e.getCode() != 404) {
                        System.err.println("floor: PATCH of " + r.getMetadata().getName() + " failed: " + e.getMessage());
                    }
                }
            });
        }

        /** An Event as big as the controller's Injected one, for -Dbench.floorEvents=true. */
        private static io.fabric8.kubernetes.api.model.Event event(GenericKubernetesResource r) {
            String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
            return new io.fabric8.kubernetes.api.model.EventBuilder()
                    .withNewMetadata().withName(r.getMetadata().getName() + "." + Long.toHexString(System.nanoTime()))
                    .withNamespace(r.getMetadata().getNamespace()).endMetadata()
                    .withNewInvolvedObject().withApiVersion("apps/v1").withKind("Deployment").withName(r.getMetadata().getName())
                    .withNamespace(r.getMetadata().getNamespace()).withUid(r.getMetadata().getUid())
                    .withResourceVersion(r.getMetadata().getResourceVersion()).endInvolvedObject()
                    .withType("Normal").withReason("Injected")
                    .withMessage("Injected the Istio sidecar (policy is enabled): {\"version\":\"0.1.0\",\"initContainers\":[\"istio-init\"],"
                            + "\"containers\":[\"istio-proxy\"],\"volumes\":[\"istio-envoy\",\"istio-certs\"]}")
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent("floor").withHost("bench").endSource()
                    .withReportingComponent("floor").withReportingInstance("bench").build();
        }

        @Override
        public void onClose(WatcherException cause) {
            if (cause != null) {
                System.err.println("floor watch closed: " + cause);
            }
        }

        @Override
        public void close() {
            watch.close();
            workers.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- process

    static List<String> process(int cached, int readyRuns) throws Exception {
        Path jarIn = Path.of(System.getProperty("bench.jar", "target/sidecar-initializer.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jarIn)) {
            throw new IllegalStateException(jarIn + " is missing: run ./mvnw -q -B package -DskipTests first");
        }
        Path work = Files.createTempDirectory("controller-bench");
        Path jar = work.resolve("sidecar-initializer.jar");
        Files.copy(jarIn, jar, StandardCopyOption.COPY_ATTRIBUTES);
        ProductionJvm production = ProductionJvm.fromDeployment();
        List<String> flags = new ArrayList<>(System.getProperty("bench.jvmFlags") == null ? production.flags()
                : List.of(System.getProperty("bench.jvmFlags").trim().split("\\s+")));
        Map<String, String> env = production.env();
        if (!"false".equals(System.getProperty("bench.cds"))) {
            // As the image does it (Dockerfile): a training run's class list, dumped into an archive for this JVM.
            String given = System.getProperty("bench.classList");
            Path classList = given != null ? Path.of(given) : work.resolve("image.classlist");
            if (given == null) {
                System.out.printf(Locale.ROOT, "class list from the training runs: %d classes%n", ImageClassList.write(jar, classList));
            }
            flags.add("-XX:SharedArchiveFile=" + sharedArchive(classList, jar, work));
        }
        System.out.printf(Locale.ROOT, "%n== Controller process: %s java %s -jar sidecar-initializer.jar controller --mode=initializer"
                + " --leader-election=false; logs in %s ==%n", env, String.join(" ", flags), work);

        List<Double> emptyReady = new ArrayList<>();
        for (int i = 1; i <= readyRuns; i++) {
            try (PagingServer api = new PagingServer();
                 ControllerProcess p = ControllerProcess.start(api.url(), jar, flags, env, work, "empty-" + i)) {
                double seconds = p.awaitReady(Duration.ofSeconds(60));
                emptyReady.add(seconds);
                printStartup(api, p, 0);
                System.out.printf(Locale.ROOT, "empty server, run %d: start-to-ready %.2f s, VmRSS when ready %.0f MiB%n", i, seconds,
                        p.rssMiB());
            }
        }

        List<String> lines = new ArrayList<>();
        double emptyMedian = median(emptyReady, d -> d);
        lines.add(String.format(Locale.ROOT, "controller process (java %s):", String.join(" ", flags)));
        lines.add(String.format(Locale.ROOT, "  start-to-ready, empty server          %5.2f s (median of %d: %s) (target < %.0f s) %s",
                emptyMedian, emptyReady.size(), seconds(emptyReady), READY_TARGET_SECONDS, verdict(emptyMedian < READY_TARGET_SECONDS)));

        try (PagingServer api = new PagingServer()) {
            KubernetesClient client = api.newClient();
            List<GenericKubernetesResource> bodies = new ArrayList<>();
            for (int i = 0; i < cached; i++) {
                bodies.add(deployment(client, String.format(Locale.ROOT, "ns%03d", i % 100), String.format(Locale.ROOT, "d%05d", i)));
            }
            long t0 = System.nanoTime();
            createAll(client, bodies, 4, new ConcurrentHashMap<>());
            double preload = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "preloaded %d pending Deployments in 100 namespaces in %.1f s (%.0f creates/s on the mock)%n",
                    cached, preload, cached / preload);

            // 1. Every one of them pending when the controller starts: it must hold them all whole, then initialize them.
            int requestsBefore = api.dispatcher.requests().size();
            try (Observer observer = Observer.start(api.newClient());
                 ControllerProcess p = ControllerProcess.start(api.url(), jar, flags, env, work, "pending")) {
                double ready = p.awaitReady(Duration.ofSeconds(300));
                printStartup(api, p, requestsBefore);
                System.out.printf(Locale.ROOT, "%d pending: start-to-ready %.2f s, VmRSS when ready %.0f MiB; list pages served %d%n", cached,
                        ready, p.rssMiB(), api.pages.get());
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(Long.getLong("bench.cachedMinutes", 15));
                int lastCount = -1;
                long lastPrint = 0;
                while (observer.doneCount() < cached) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("only " + observer.doneCount() + " of " + cached + " initialized in time");
                    }
                    if (System.nanoTime() - lastPrint > TimeUnit.SECONDS.toNanos(10) && observer.doneCount() != lastCount) {
                        lastCount = observer.doneCount();
                        lastPrint = System.nanoTime();
                        System.out.printf(Locale.ROOT, "  %6.1f s: %d initialized, VmRSS %.0f MiB, controller CPU %.1f s, this JVM (mock) CPU %.1f s%n",
                                p.sinceStart(), lastCount, p.rssMiB(), p.cpuSeconds(), ProcessHandle.current().info().totalCpuDuration()
                                        .map(d -> d.toMillis() / 1000.0).orElse(-1.0));
                    }
                    Thread.sleep(50);
                }
                double processed = p.sinceStart();
                double controllerCpu = p.cpuSeconds();
                System.out.printf(Locale.ROOT, "all %d initialized %.1f s after start (controller CPU %.1f s)%n", cached, processed, controllerCpu);
                Memory m = p.memory(flags);
                lines.add(String.format(Locale.ROOT, "  %d Deployments pending at start (preload on the mock: %.0f s):", cached, preload));
                lines.add(String.format(Locale.ROOT, "    start-to-ready %5.2f s (target < %.0f s) %s; all initialized after %.1f s (controller CPU %.1f s)",
                        ready, READY_TARGET_SECONDS, verdict(ready < READY_TARGET_SECONDS), processed, controllerCpu));
                lines.addAll(m.lines(cached));
            }

            // 2. A restart: the same Deployments, now initialized and injected, are only cached.
            requestsBefore = api.dispatcher.requests().size();
            try (ControllerProcess p = ControllerProcess.start(api.url(), jar, flags, env, work, "initialized")) {
                double ready = p.awaitReady(Duration.ofSeconds(300));
                printStartup(api, p, requestsBefore);
                System.out.printf(Locale.ROOT, "%d initialized: start-to-ready %.2f s, VmRSS when ready %.0f MiB; list pages served %d%n", cached,
                        ready, p.rssMiB(), api.pages.get());
                double idle = p.awaitIdle(Duration.ofMinutes(5));
                System.out.printf(Locale.ROOT, "idle (CPU flat) %.1f s after start (controller CPU %.1f s)%n", idle, p.cpuSeconds());
                Memory m = p.memory(flags);
                lines.add(String.format(Locale.ROOT, "  restart with the %d Deployments initialized and injected:", cached));
                lines.add(String.format(Locale.ROOT, "    start-to-ready %5.2f s (target < %.0f s) %s; idle after %.1f s",
                        ready, READY_TARGET_SECONDS, verdict(ready < READY_TARGET_SECONDS), idle));
                lines.addAll(m.lines(cached));
            }

            // 3. Reconcile mode (Kubernetes 1.14+) on the same injected Deployments: it reads every object whole, so
            // its cache keeps every one (as text); nothing is left to inject.
            requestsBefore = api.dispatcher.requests().size();
            try (ControllerProcess p = ControllerProcess.start(api.url(), jar, flags, env, work, "reconcile", "reconcile")) {
                double ready = p.awaitReady(Duration.ofSeconds(300));
                printStartup(api, p, requestsBefore);
                System.out.printf(Locale.ROOT, "reconcile mode, %d injected: start-to-ready %.2f s, VmRSS when ready %.0f MiB%n", cached,
                        ready, p.rssMiB());
                double idle = p.awaitIdle(Duration.ofMinutes(5));
                System.out.printf(Locale.ROOT, "idle (CPU flat) %.1f s after start (controller CPU %.1f s)%n", idle, p.cpuSeconds());
                Memory m = p.memory(flags);
                lines.add(String.format(Locale.ROOT, "  reconcile mode on the %d injected Deployments:", cached));
                lines.add(String.format(Locale.ROOT, "    start-to-ready %5.2f s (target < %.0f s) %s; idle after %.1f s (controller CPU %.1f s)",
                        ready, READY_TARGET_SECONDS, verdict(ready < READY_TARGET_SECONDS), idle, p.cpuSeconds()));
                lines.addAll(m.lines(cached));
            }
        }
        return lines;
    }

    /**
     * Waits until this JVM (the mock server, the preload's garbage, its JIT) has gone quiet: on two cores a controller
     * started while the preload is still being digested measures this process, not its own startup. Returns the wait.
     */
    static double awaitIdleJvm() throws InterruptedException {
        long start = System.nanoTime();
        System.gc();
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        com.sun.management.OperatingSystemMXBean sun = (com.sun.management.OperatingSystemMXBean) os;
        long deadline = start + TimeUnit.SECONDS.toNanos(30);
        long cpu = sun.getProcessCpuTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            long now = sun.getProcessCpuTime();
            if (now - cpu < TimeUnit.MILLISECONDS.toNanos(50)) {
                break;
            }
            cpu = now;
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** A class-data sharing archive of the classes in {@code classList}, for this copy of the jar. */
    static Path sharedArchive(Path classList, Path jar, Path work) throws IOException, InterruptedException {
        Path archive = work.resolve("sidecar-initializer.jsa");
        Process dump = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:dump",
                "-XX:SharedClassListFile=" + classList.toAbsolutePath(), "-XX:SharedArchiveFile=" + archive, "-cp", jar.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("cds-dump.log").toFile()).start();
        if (dump.waitFor() != 0 || !Files.isRegularFile(archive)) {
            throw new IllegalStateException("-Xshare:dump failed; see " + work.resolve("cds-dump.log"));
        }
        System.out.printf(Locale.ROOT, "class-data sharing archive: %s (%.0f MiB) from %s%n", archive, Files.size(archive) / 1048576.0, classList);
        return archive;
    }

    record Memory(double rss, double peak, String heapBefore, String heapAfter, double rssAfterGc, boolean jvmMetrics, double injections) {
        List<String> lines(int cached) {
            return List.of(
                    String.format(Locale.ROOT, "    VmRSS settled %4.0f MiB (target < %.0f MiB with %d workloads cached) %s; peak %.0f MiB;"
                            + " after a full GC %.0f MiB", rss, RSS_TARGET_MIB, cached, verdict(rss < RSS_TARGET_MIB), peak, rssAfterGc),
                    String.format(Locale.ROOT, "    heap used %s; after a full GC %s (jcmd GC.heap_info; /metrics has %s)",
                            heapBefore, heapAfter, jvmMetrics ? "jvm_memory_used_bytes" : "no JVM metrics"));
        }
    }

    /**
     * The process part's API server: the fixture's dispatcher (discovery, Self*Reviews, CRUD with a 422 on a failed
     * test), plus list pages ({@code limit}/{@code continue}), which kube-apiserver serves since 1.9 and the CRUD mock
     * ignores. A paged list is cut from one snapshot taken at its first page, as kube-apiserver pages one snapshot.
     */
    static final class PagingServer implements AutoCloseable {
        final ApiServerDispatcher dispatcher = new ApiServerDispatcher(ApiServerDispatcher.initializerApis());
        final KubernetesMockServer server;
        final AtomicInteger pages = new AtomicInteger();
        private final List<KubernetesClient> clients = new ArrayList<>();
        /** Items and resourceVersion of each list being paged, by snapshot id. */
        private final Map<String, ObjectNode> snapshots = new ConcurrentHashMap<>();
        private final AtomicInteger snapshotIds = new AtomicInteger();

        PagingServer() {
            server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                    return page(request);
                }
            }, false);
            server.init();
        }

        String url() {
            return server.url("/").replaceAll("/$", "");
        }

        KubernetesClient newClient() {
            KubernetesClient c = server.createClient(new JdkHttpClientFactory());
            clients.add(c);
            return c;
        }

        private MockResponse page(RecordedRequest request) {
            URI uri = URI.create(request.getPath());
            Map<String, String> query = new HashMap<>();
            if (uri.getRawQuery() != null) {
                for (String pair : uri.getRawQuery().split("&")) {
                    int eq = pair.indexOf('=');
                    query.put(eq < 0 ? pair : pair.substring(0, eq),
                            eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            if (request.method() != HttpMethod.GET || !query.containsKey("limit") || "true".equals(query.get("watch"))) {
                return dispatcher.dispatch(request);
            }
            try {
                int limit = Integer.parseInt(query.get("limit"));
                String token = query.get("continue");
                ObjectNode list;
                ArrayNode items;
                String id;
                int offset;
                if (token == null || token.isEmpty()) {
                    MockResponse full = dispatcher.dispatch(request);
                    if (full.code() != 200 || full.getBody() == null) {
                        return full;
                    }
                    list = (ObjectNode) Serialization.jsonMapper().readTree(full.getBody().readUtf8());
                    items = (ArrayNode) list.remove("items");
                    id = String.valueOf(snapshotIds.incrementAndGet());
                    offset = 0;
                } else {
                    id = token.substring(0, token.indexOf(':'));
                    offset = Integer.parseInt(token.substring(token.indexOf(':') + 1));
                    ObjectNode snapshot = snapshots.get(id);
                    if (snapshot == null) {
                        return new MockResponse().setResponseCode(410).setBody("{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}");
                    }
                    items = (ArrayNode) snapshot.get("items");
                    list = Serialization.jsonMapper().createObjectNode().put("apiVersion", "v1").put("kind", "List");
                    list.putObject("metadata").put("resourceVersion", snapshot.get("resourceVersion").asText());
                }
                int end = Math.min(items.size(), offset + limit);
                ArrayNode page = list.putArray("items");
                for (int i = offset; i < end; i++) {
                    page.add(items.get(i));
                }
                ObjectNode meta = (ObjectNode) list.get("metadata");
                if (end < items.size()) {
                    // Every page names the snapshot's resourceVersion, so the watch that follows starts from it.
                    ObjectNode snapshot = Serialization.jsonMapper().createObjectNode().put("resourceVersion", meta.path("resourceVersion").asText());
                    snapshot.set("items", items);
                    snapshots.put(id, snapshot);
                    meta.put("continue", id + ":" + end).put("remainingItemCount", items.size() - end);
                } else {
                    snapshots.remove(id);
                }
                pages.incrementAndGet();
                return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json").setBody(list.toString());
            } catch (IOException | RuntimeException e) {
                return new MockResponse().setResponseCode(500).setBody(String.valueOf(e));
            }
        }

        @Override
        public void close() {
            clients.forEach(KubernetesClient::close);
            server.destroy();
        }
    }

    /**
     * With {@code -Dbench.detail=true}: what the server answered up to readiness, in seconds since the process
     * started (the time is taken when the answer is ready), to show where startup time goes.
     */
    static void printStartup(PagingServer api, ControllerProcess p, int requestsBefore) {
        if (!Boolean.getBoolean("bench.detail")) {
            return;
        }
        long startMillis = System.currentTimeMillis() - Math.round(p.sinceStart() * 1000);
        List<ApiServerDispatcher.Seen> requests = api.dispatcher.requests();
        for (ApiServerDispatcher.Seen r : requests.subList(requestsBefore, requests.size())) {
            if (!r.path().endsWith("/selfsubjectaccessreviews") && !r.method().equals("PATCH") && !r.path().endsWith("/events")) {
                System.out.printf(Locale.ROOT, "    %6.3f s %s %s%s%n", (r.atMillis() - startMillis) / 1e3, r.method(), r.path(),
                        r.query() == null ? "" : "?" + r.query());
            }
        }
    }

    /** A kubeconfig for a mock API server at {@code serverUrl} (token auth with a dummy token), written to {@code file}. */
    static Path kubeconfig(String serverUrl, Path file) throws IOException {
        return Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                users:
                - name: bench
                  user:
                    token: bench
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: bench
                current-context: mock
                """.formatted(serverUrl));
    }

    /** A size field of /proc/PID/status ({@code VmRSS}, {@code VmHWM}, …) in KiB, or -1 when it has none. */
    static long statusKiB(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** The controller jar as its own JVM, configured like kubectl through a kubeconfig for the mock server. */
    static final class ControllerProcess implements AutoCloseable {
        private final Process process;
        private final int port;
        private final long startNanos;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

        private ControllerProcess(Process process, int port, long startNanos) {
            this.process = process;
            this.port = port;
            this.startNanos = startNanos;
        }

        /** Starts the controller once this JVM is quiet ({@link #awaitIdleJvm()}). */
        static ControllerProcess start(String serverUrl, Path jar, List<String> flags, Map<String, String> env, Path work,
                                       String name) throws IOException, InterruptedException {
            return start(serverUrl, jar, flags, env, work, name, "initializer");
        }

        static ControllerProcess start(String serverUrl, Path jar, List<String> flags, Map<String, String> env, Path work,
                                       String name, String mode) throws IOException, InterruptedException {
            awaitIdleJvm();
            Path kubeconfig = kubeconfig(serverUrl, work.resolve(name + ".kubeconfig"));
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(flags);
            if (Boolean.getBoolean("bench.jfr")) {
                command.add("-XX:StartFlightRecording=filename=" + work.resolve(name + ".jfr") + ",settings=profile");
            }
            command.addAll(List.of("-jar", jar.toString(), "controller", "--mode=" + mode, "--http-port=" + port,
                    "--leader-election=false", "--identity=bench"));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(work.resolve(name + ".log").toFile());
            pb.environment().put("KUBECONFIG", kubeconfig.toString());
            pb.environment().remove("KUBERNETES_SERVICE_HOST");
            pb.environment().remove("KUBERNETES_SERVICE_PORT");
            pb.environment().remove("JAVA_TOOL_OPTIONS");
            pb.environment().putAll(env);
            long t0 = System.nanoTime();
            return new ControllerProcess(pb.start(), port, t0);
        }

        double sinceStart() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        /** Seconds from process start to the first 200 from /readyz. */
        double awaitReady(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the controller exited with " + process.exitValue() + " before it was ready");
                }
                try {
                    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 200) {
                        return sinceStart();
                    }
                } catch (IOException e) {
                    // Not listening yet.
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException("/readyz not 200 within " + timeout.toSeconds() + " s");
        }

        String get(String path) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }

        double statusMiB(String field) throws IOException {
            long kib = statusKiB(process.pid(), field);
            return kib < 0 ? -1 : kib / 1024.0;
        }

        double rssMiB() throws IOException {
            return statusMiB("VmRSS");
        }

        double cpuSeconds() {
            return process.info().totalCpuDuration().map(d -> d.toMillis() / 1000.0).orElse(-1.0);
        }

        /** VmRSS once it has changed by less than 1 MiB over 5 s, or after {@code max}. */
        double settledRssMiB(Duration max) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + max.toNanos();
            double previous = rssMiB();
            while (System.nanoTime() < deadline) {
                Thread.sleep(5000);
                double now = rssMiB();
                if (Math.abs(now - previous) < 1) {
                    return now;
                }
                previous = now;
            }
            return previous;
        }

        /** Seconds from start until the process used less than 0.1 s of CPU in 2 s. */
        double awaitIdle(Duration max) throws InterruptedException {
            long deadline = System.nanoTime() + max.toNanos();
            double cpu = cpuSeconds();
            while (System.nanoTime() < deadline) {
                Thread.sleep(2000);
                double now = cpuSeconds();
                if (now - cpu < 0.1) {
                    return sinceStart();
                }
                cpu = now;
            }
            return sinceStart();
        }

        /** RSS once settled, its peak, and the heap before and after a full GC. */
        Memory memory(List<String> flags) throws IOException, InterruptedException {
            double rss = settledRssMiB(Duration.ofSeconds(30));
            double peak = statusMiB("VmHWM");
            String heapBefore = heapUsed();
            jcmd("GC.run");
            String heapAfter = heapUsed();
            double rssAfterGc = rssMiB();
            if (Boolean.getBoolean("bench.detail")) {
                System.out.println(jcmd("GC.class_histogram").lines().limit(25).reduce("", (a, b) -> a + "    " + b + "\n"));
                if (flags.stream().anyMatch(f -> f.startsWith("-XX:NativeMemoryTracking"))) {
                    System.out.println(jcmd("VM.native_memory summary").lines().filter(l -> l.contains("committed="))
                            .reduce("", (a, b) -> a + "    " + b.trim() + "\n"));
                }
            }
            String metrics = get("/metrics");
            Memory m = new Memory(rss, peak, heapBefore, heapAfter, rssAfterGc, metrics.contains("jvm_memory_used_bytes"),
                    sum(metrics, "sidecar_injections_total"));
            System.out.printf(Locale.ROOT, "settled: VmRSS %.0f MiB (peak VmHWM %.0f MiB); heap used %s; after jcmd GC.run: heap used %s,"
                    + " VmRSS %.0f MiB; sidecar_injections_total %.0f; jvm_memory_used_bytes %s%n", rss, peak, heapBefore, heapAfter,
                    rssAfterGc, m.injections(), m.jvmMetrics() ? "exported" : "not exported (no JVM binders registered)");
            return m;
        }

        /** Heap used as {@code jcmd GC.heap_info} reports it, e.g. {@code 95 MiB of 118 MiB committed}. */
        String heapUsed() throws IOException, InterruptedException {
            String info = jcmd("GC.heap_info");
            Matcher m = Pattern.compile("total (\\d+)K, used (\\d+)K").matcher(info);
            long total = 0;
            long used = 0;
            while (m.find()) {
                total += Long.parseLong(m.group(1));
                used += Long.parseLong(m.group(2));
            }
            return used == 0 ? "unknown" : String.format(Locale.ROOT, "%.0f MiB of %.0f MiB committed", used / 1024.0, total / 1024.0);
        }

        String jcmd(String command) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(process.pid()), command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        }

        @Override
        public void close() {
            try {
                stop(process, Duration.ofSeconds(20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Stops a process as Kubernetes does: SIGTERM, then SIGKILL after {@code grace}; true when it exited on its own. */
    static boolean stop(Process process, Duration grace) throws InterruptedException {
        process.destroy();
        if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return false;
    }

    static double sum(String prometheusText, String metric) {
        double total = 0;
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    static <T> double median(List<T> items, java.util.function.ToDoubleFunction<T> value) {
        double[] values = items.stream().mapToDouble(value).sorted().toArray();
        int n = values.length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    static String seconds(List<Double> values) {
        return String.join(", ", values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList());
    }

    private static String verdict(boolean met) {
        return met ? "MET" : "MISSED";
    }

    static void quietLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
            logback.getLogger("io.fabric8").setLevel(Level.ERROR);
            logback.getLogger("io.javaoperatorsdk").setLevel(Level.WARN);
            logback.getLogger("io.vertx").setLevel(Level.WARN);
            logback.getLogger("io.netty").setLevel(Level.WARN);
            logback.getLogger("io.sidecarinitializer").setLevel(Level.WARN);
        }
        JUL.forEach(l -> l.setLevel(java.util.logging.Level.WARNING));
    }
}
