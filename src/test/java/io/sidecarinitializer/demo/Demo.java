package io.sidecarinitializer.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.cluster.ApiServerDispatcher;
import io.sidecarinitializer.cluster.ControllerOptions;
import io.sidecarinitializer.cluster.Mode;
import io.sidecarinitializer.cluster.SidecarController;
import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.inject.Reason;
import io.sidecarinitializer.yaml.KubeYaml;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * The README's main command, without a cluster: starts fabric8's CRUD mock API server (real HTTP and
 * watches) answering discovery as a 1.13 server with Initializers does, loads the istio-system ConfigMaps
 * from {@code manifests/base/configmaps.yaml}, starts the controller in initializer mode in this JVM, creates
 * every workload of {@code manifests/samples/} with our initializer pending, waits until our entry is gone
 * from each, and prints each object as {@code kubectl get -o yaml} would, then a summary.
 *
 * <p>Test scope, so the mock server stays out of the production jar. Run: {@code ./mvnw -q -B -Pdemo -DskipTests
 * verify}. Throws (so Maven fails) when an object is not initialized within {@code demo.timeout} seconds (30).
 * {@code -Ddemo.log=info} shows the controller's own log lines.
 */
public final class Demo {
    static final String OURS = InjectConfig.DEFAULT_INITIALIZER_NAME;
    /** A second initializer after ours on one sample, to show that we remove only our own entry. */
    static final String OTHER = "example.com/other";
    static final String OTHER_ON = "sleep";
    static final String NAMESPACE = "default";
    /** The kinds the controller watches with --all-kinds; other documents in the samples (Services, ...) are not workloads. */
    private static final Map<String, String> PLURALS = Map.of("Deployment", "deployments", "StatefulSet", "statefulsets",
            "DaemonSet", "daemonsets", "Job", "jobs", "CronJob", "cronjobs", "ReplicaSet", "replicasets",
            "ReplicationController", "replicationcontrollers");
    /** A 1.13 API server (the last with Initializers) serves CronJob only as batch/v1beta1; the fields are the same. */
    private static final Map<String, String> SERVED_AS = Map.of("batch/v1 CronJob", "batch/v1beta1");

    /** java.util.logging keeps loggers weakly, so a level set on one that nobody holds can be lost. */
    private static final List<java.util.logging.Logger> JUL_LOGGERS =
            Stream.of("io.fabric8", "io.vertx").map(java.util.logging.Logger::getLogger).toList();

    private Demo() {}

    /** One sample workload as created. */
    public record Sample(String file, String sampleApiVersion, String apiVersion, String kind, String name, String namespace,
                         Map<String, Object> object) {
        String plural() {
            return PLURALS.get(kind);
        }

        /** {@code /apis/apps/v1/namespaces/default/deployments/echo}: where the controller's PATCH goes. */
        String path() {
            return (apiVersion.contains("/") ? "/apis/" : "/api/") + apiVersion + "/namespaces/" + namespace + "/" + plural() + "/" + name;
        }

        ResourceDefinitionContext context() {
            int slash = apiVersion.indexOf('/');
            return new ResourceDefinitionContext.Builder().withGroup(slash < 0 ? "" : apiVersion.substring(0, slash))
                    .withVersion(apiVersion.substring(slash + 1)).withKind(kind).withPlural(plural()).withNamespaced(true).build();
        }

        String display() {
            return kind.toLowerCase(Locale.ROOT) + "/" + name;
        }
    }

    /**
     * What became of one sample: the object as the API server holds it afterwards, the Event the controller
     * wrote about it ({@code Injected}, {@code Skipped} or {@code InjectionFailed}), the reason it gives, and
     * the time from the create request to the server applying the controller's PATCH.
     */
    public record Result(Sample sample, Map<String, Object> object, String event, Reason reason, String eventMessage, long millis) {
        public boolean injected() {
            return "Injected".equals(event);
        }

        @SuppressWarnings("unchecked")
        public List<String> pending() {
            Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
            if (!(meta.get("initializers") instanceof Map<?, ?> initializers) || !(initializers.get("pending") instanceof List<?> list)) {
                return List.of();
            }
            return list.stream().map(e -> String.valueOf(((Map<?, ?>) e).get("name"))).toList();
        }

        String outcome() {
            String why = reason == null ? eventMessage : reason.description();
            return switch (event) {
                case "Injected" -> "injected (" + why + ")";
                case "Skipped" -> "skipped: " + why;
                default -> event + ": " + eventMessage;
            };
        }
    }

    public static void main(String[] args) throws Exception {
        quietLogs(System.getProperty("demo.log", "warn"));
        Path root = Path.of(System.getProperty("demo.root", "."));
        Duration timeout = Duration.ofSeconds(Long.getLong("demo.timeout", 30));
        PrintStream out = System.out;
        long start = System.nanoTime();
        List<Result> results = run(root, timeout, out);
        for (Result r : results) {
            out.println("# kubectl get " + r.sample().display() + " -n " + r.sample().namespace() + " -o yaml");
            out.print(kubectlYaml(r.object()));
            out.println();
        }
        printSummary(results, out);
        out.printf(Locale.ROOT, "%d workloads initialized: %d injected, %d skipped; whole demo %.1f s%n", results.size(),
                results.stream().filter(Result::injected).count(), results.stream().filter(r -> !r.injected()).count(),
                (System.nanoTime() - start) / 1e9);
        out.flush();
    }

    /**
     * The demo without the printing of objects: everything from starting the server to the results, which come
     * back in the order the samples were created. Throws when a sample is not initialized within {@code timeout}.
     */
    public static List<Result> run(Path root, Duration timeout, PrintStream progress) throws Exception {
        List<Sample> samples = samples(root.resolve("manifests/samples"));
        try (ApiServer api = ApiServer.withInitializers()) {
            progress.println("API server: fabric8 CRUD mock at " + api.server.url("/") + " (serves "
                    + "admissionregistration.k8s.io/v1alpha1 initializerconfigurations, like Kubernetes 1.7-1.13)");
            List<String> configMaps = loadConfigMaps(api.client, root.resolve("manifests/base/configmaps.yaml"));
            progress.println("ConfigMaps: " + String.join(", ", configMaps) + " (from manifests/base/configmaps.yaml)");

            KubernetesClient controllerClient = api.newClient();
            long t0 = System.nanoTime();
            SidecarController controller = SidecarController.start(controllerClient, ControllerOptions.defaults()
                    .withMode(Mode.AUTO).withAllKinds(true).withHttpPort(ControllerOptions.NO_HTTP)
                    .withLeaderElection(false).withIdentity("sidecar-initializer-demo"));
            try {
                // The mock drops events for a watch that is not open yet, so nothing is created before ready.
                if (!controller.awaitReady(timeout)) {
                    throw new IllegalStateException("the controller was not ready within " + timeout.toSeconds() + " s: " + controller.readiness());
                }
                progress.printf(Locale.ROOT, "Controller: %s mode, ready in %d ms (%s)%n", controller.mode().flag(),
                        (System.nanoTime() - t0) / 1_000_000, controller.readiness());

                long[] createdAt = new long[samples.size()];
                for (int i = 0; i < samples.size(); i++) {
                    createdAt[i] = System.currentTimeMillis();
                    api.create(samples.get(i).object());
                }
                List<String> notes = new ArrayList<>();
                for (Sample s : samples) {
                    String pending = pendingText(s.object());
                    if (!pending.equals("[" + OURS + "]")) {
                        notes.add(s.display() + ": " + pending);
                    }
                    if (!s.apiVersion().equals(s.sampleApiVersion())) {
                        notes.add(s.display() + " as " + s.apiVersion() + ", the version a 1.13 API server serves");
                    }
                }
                progress.println("Created " + samples.size() + " workloads from manifests/samples/ in namespace " + NAMESPACE
                        + ", each with metadata.initializers.pending [" + OURS + "]" + (notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")"));
                progress.println();
                return awaitResults(api, samples, createdAt, timeout);
            } finally {
                controller.close();
            }
        }
    }

    private static List<Result> awaitResults(ApiServer api, List<Sample> samples, long[] createdAt, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Result[] results = new Result[samples.size()];
        int done = 0;
        while (done < samples.size()) {
            for (int i = 0; i < samples.size(); i++) {
                if (results[i] == null) {
                    results[i] = result(api, samples.get(i), createdAt[i]).orElse(null);
                    done += results[i] == null ? 0 : 1;
                }
            }
            if (done < samples.size()) {
                if (System.nanoTime() > deadline) {
                    List<String> missing = new ArrayList<>();
                    for (int i = 0; i < samples.size(); i++) {
                        if (results[i] == null) {
                            missing.add(samples.get(i).display());
                        }
                    }
                    throw new IllegalStateException("not initialized (or no Event about it) within " + timeout.toSeconds() + " s: " + missing);
                }
                Thread.sleep(10);
            }
        }
        return List.of(results);
    }

    /** The result once our entry is gone and the controller's Event about the object is there; empty before. */
    @SuppressWarnings("unchecked")
    private static Optional<Result> result(ApiServer api, Sample s, long createdAtMillis) {
        GenericKubernetesResource r = api.client.genericKubernetesResources(s.context()).inNamespace(s.namespace()).withName(s.name()).get();
        if (r == null) {
            return Optional.empty();
        }
        Map<String, Object> object = api.client.getKubernetesSerialization().convertValue(r, LinkedHashMap.class);
        Result probe = new Result(s, object, "", null, "", 0);
        if (probe.pending().contains(OURS)) {
            return Optional.empty();
        }
        Optional<Event> event = api.client.v1().events().inNamespace(s.namespace()).list().getItems().stream()
                .filter(e -> s.name().equals(e.getInvolvedObject().getName()) && s.kind().equals(e.getInvolvedObject().getKind()))
                .findFirst();
        if (event.isEmpty()) {
            return Optional.empty();
        }
        long patchedAt = api.dispatcher.patchesTo(s.path()).stream().filter(p -> p.status() / 100 == 2)
                .mapToLong(ApiServerDispatcher.Seen::atMillis).min().orElse(System.currentTimeMillis());
        return Optional.of(new Result(s, object, event.get().getReason(), reasonIn(event.get().getMessage()),
                event.get().getMessage(), Math.max(0, patchedAt - createdAtMillis)));
    }

    /** The {@link Reason} an Event's message names; the longest description wins, as one may contain another. */
    static Reason reasonIn(String message) {
        return Stream.of(Reason.values()).filter(r -> message.contains(r.description()) || message.contains("(" + r.label() + ")"))
                .max(Comparator.comparingInt(r -> r.description().length())).orElse(null);
    }

    /** Every workload document of the samples, sorted by file, in namespace default, with our initializer pending. */
    @SuppressWarnings("unchecked")
    static List<Sample> samples(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalStateException("no samples in " + dir.toAbsolutePath() + "; run from the repository root");
        }
        KubeYaml yaml = new KubeYaml();
        List<Sample> samples = new ArrayList<>();
        for (Path file : files) {
            for (Object doc : yaml.loadAll(Files.readString(file))) {
                if (!(doc instanceof Map<?, ?> m) || !PLURALS.containsKey(m.get("kind"))) {
                    continue;
                }
                Map<String, Object> object = (Map<String, Object>) m;
                String kind = (String) object.get("kind");
                String sampleApiVersion = (String) object.get("apiVersion");
                String apiVersion = SERVED_AS.getOrDefault(sampleApiVersion + " " + kind, sampleApiVersion);
                object.put("apiVersion", apiVersion);
                Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
                meta.putIfAbsent("namespace", NAMESPACE);
                String name = (String) meta.get("name");
                List<Object> pending = new ArrayList<>();
                pending.add(new LinkedHashMap<>(Map.of("name", OURS)));
                if (name.equals(OTHER_ON)) {
                    pending.add(new LinkedHashMap<>(Map.of("name", OTHER)));
                }
                meta.put("initializers", new LinkedHashMap<>(Map.of("pending", pending)));
                samples.add(new Sample(file.getFileName().toString(), sampleApiVersion, apiVersion, kind, name, (String) meta.get("namespace"),
                        object));
            }
        }
        return samples;
    }

    /** Creates the ConfigMaps of a manifest file; returns namespace/name of each. */
    private static List<String> loadConfigMaps(KubernetesClient client, Path file) throws IOException {
        List<String> names = new ArrayList<>();
        for (Object doc : new KubeYaml().loadAll(Files.readString(file))) {
            if (doc instanceof Map<?, ?> m && "ConfigMap".equals(m.get("kind"))) {
                ConfigMap cm = client.getKubernetesSerialization().convertValue(m, ConfigMap.class);
                client.configMaps().inNamespace(cm.getMetadata().getNamespace()).resource(cm).create();
                names.add(cm.getMetadata().getNamespace() + "/" + cm.getMetadata().getName());
            }
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static String pendingText(Map<String, Object> object) {
        Map<String, Object> initializers = (Map<String, Object>) ((Map<String, Object>) object.get("metadata")).get("initializers");
        List<Map<String, Object>> pending = (List<Map<String, Object>>) initializers.get("pending");
        return pending.stream().map(p -> String.valueOf(p.get("name"))).toList().toString();
    }

    /** Keys in alphabetical order and block style, as kubectl prints an object. */
    static String kubectlYaml(Map<String, Object> object) {
        return new KubeYaml().dump(sorted(object));
    }

    private static Object sorted(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> byKey = new TreeMap<>();
            m.forEach((k, v) -> byKey.put(String.valueOf(k), sorted(v)));
            return new LinkedHashMap<>(byKey);
        }
        if (value instanceof List<?> l) {
            return new ArrayList<>(l.stream().map(Demo::sorted).toList());
        }
        return value;
    }

    static void printSummary(List<Result> results, PrintStream out) {
        String format = "%-26s %-10s %-80s %8s%n";
        out.printf(Locale.ROOT, format, "KIND/NAME", "NAMESPACE", "RESULT", "MS");
        for (Result r : results) {
            String outcome = r.outcome() + (r.pending().isEmpty() ? "" : "; still pending: " + String.join(", ", r.pending()));
            out.printf(Locale.ROOT, format, r.sample().display(), r.sample().namespace(), outcome, r.millis());
        }
        out.println("MS: from the create request to the API server applying the controller's PATCH; in a fresh JVM the first objects"
                + " also wait for class loading (see the controller benchmark for warm figures).");
    }

    /** fabric8, java-operator-sdk and the mock log their plumbing; the demo's own output is what matters. */
    private static void quietLogs(String level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
            logback.getLogger("io.fabric8").setLevel(Level.WARN);
            // "cronjobs with unstable version v1beta1": that is what a 1.13 server serves.
            logback.getLogger("io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils").setLevel(Level.ERROR);
            logback.getLogger("io.javaoperatorsdk").setLevel(Level.WARN);
            logback.getLogger("io.vertx").setLevel(Level.WARN);
            logback.getLogger("io.netty").setLevel(Level.WARN);
            logback.getLogger("io.sidecarinitializer").setLevel(Level.toLevel(level, Level.WARN));
        }
        JUL_LOGGERS.forEach(l -> l.setLevel(java.util.logging.Level.WARNING));
    }
}
