package io.sidecarinitializer.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sidecarinitializer.cluster.ApiServer;
import io.sidecarinitializer.webhook.TestCertificates;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The training runs behind the image's class-data sharing archive, one per front the image runs in a cluster, each
 * the real jar with {@code -XX:DumpLoadedClassList} against an in-process mock API server, through startup,
 * readiness, its work, the probe and metrics endpoints and a graceful stop (SIGTERM): the {@code controller}
 * initializing a few hundred Deployments; the {@code webhook} making its CA, Secret and caBundle, answering the
 * golden AdmissionReviews over HTTPS (HTTP/2 and HTTP/1.1) and a malformed one, then restarting on that Secret.
 * The lists are merged into one, which the image build turns into an archive with {@code java -Xshare:dump} for its
 * own JVM (see the Dockerfile), as the controller and webhook benchmarks do for the JVM they run. The mock is test
 * code, so this is too.
 *
 * <p>Run: {@code ./mvnw -q -B exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.sidecarinitializer.bench.ImageClassList -Dexec.args="target/sidecar-initializer.jar
 * target/image.classlist"}
 */
public final class ImageClassList {
    private static final int OBJECTS = 300;
    private static final int REVIEW_ROUNDS = 20;
    private static final Path GOLDEN_REVIEWS = Path.of("src", "test", "resources", "golden", "webhook");

    private ImageClassList() {}

    public static void main(String[] args) throws Exception {
        ControllerBenchmark.quietLogs();
        Path jar = Path.of(args.length > 0 ? args[0] : "target/sidecar-initializer.jar").toAbsolutePath();
        Path out = Path.of(args.length > 1 ? args[1] : "target/image.classlist").toAbsolutePath();
        int classes = write(jar, out);
        System.out.printf(Locale.ROOT, "%s: %d classes loaded by the controller and the webhook%n", out, classes);
    }

    /** Writes the merged class list of the training runs of {@code jar} to {@code out}; returns how many classes it names. */
    static int write(Path jar, Path out) throws Exception {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw -q -B package -DskipTests first");
        }
        Path work = Files.createTempDirectory("image-classlist");
        List<Path> lists = new ArrayList<>();
        lists.add(controller(jar, work));
        lists.addAll(webhook(jar, work));
        List<List<String>> read = new ArrayList<>();
        for (Path list : lists) {
            read.add(Files.readAllLines(list));
        }
        List<String> merged = merge(read);
        Files.write(out, merged);
        return (int) merged.stream().filter(l -> !l.startsWith("@") && !l.startsWith("#")).count();
    }

    /**
     * Class lists as {@code -XX:DumpLoadedClassList} writes them, as one: each line once, in the order first seen. On
     * JDK 17 a class of the built-in loaders is a line with its name alone and a lambda line names its classes, so
     * repeats are the same line; a class of another loader carries a numeric id, which two lists would reuse.
     */
    static List<String> merge(List<List<String>> lists) {
        Set<String> lines = new LinkedHashSet<>();
        for (List<String> list : lists) {
            for (String line : list) {
                if (!line.startsWith("#") && line.contains(" id: ")) {
                    throw new IllegalArgumentException("cannot merge a class list naming a class of a custom class loader: " + line);
                }
                if (!line.startsWith("#") && !line.isBlank()) {
                    lines.add(line);
                }
            }
        }
        return List.copyOf(lines);
    }

    private static Path controller(Path jar, Path work) throws Exception {
        Path out = work.resolve("controller.classlist");
        ProductionJvm production = ProductionJvm.fromDeployment();
        List<String> flags = new ArrayList<>(production.flags());
        flags.add("-XX:DumpLoadedClassList=" + out);
        try (ControllerBenchmark.PagingServer api = new ControllerBenchmark.PagingServer();
             ControllerBenchmark.Observer observer = ControllerBenchmark.Observer.start(api.newClient());
             ControllerBenchmark.ControllerProcess p = ControllerBenchmark.ControllerProcess.start(api.url(), jar, flags,
                     production.env(), work, "training")) {
            p.awaitReady(Duration.ofSeconds(60));
            KubernetesClient client = api.newClient();
            List<GenericKubernetesResource> bodies = new ArrayList<>();
            for (int i = 0; i < OBJECTS; i++) {
                // kube-system is a system namespace: those take the skip path.
                String namespace = i % 10 == 0 ? "kube-system" : "training-" + i % 3;
                bodies.add(ControllerBenchmark.deployment(client, namespace, String.format(Locale.ROOT, "t%04d", i)));
            }
            ControllerBenchmark.createAll(client, bodies, 4, new ConcurrentHashMap<>());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (observer.doneCount() < OBJECTS) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("training: only " + observer.doneCount() + " of " + OBJECTS + " initialized");
                }
                Thread.sleep(20);
            }
            for (String path : List.of("/metrics", "/healthz", "/readyz")) {
                p.get(path);
            }
        } // closing the process stops it gracefully (SIGTERM), so the shutdown path is on the list too
        return checked(out, "controller");
    }

    /** A first start (makes the CA, the Secret, the caBundle) and a restart (reads the Secret): a list each. */
    private static List<Path> webhook(Path jar, Path work) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        List<byte[]> reviews = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve(GOLDEN_REVIEWS))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".request.json")).sorted().toList()) {
                reviews.add(Files.readAllBytes(file));
            }
        }
        if (reviews.isEmpty()) {
            throw new IllegalStateException("no AdmissionReview requests in " + GOLDEN_REVIEWS);
        }
        List<Path> lists = new ArrayList<>();
        try (ApiServer api = ApiServer.modern()) {
            WebhookBenchmark.install(api.client, root);
            int port = WebhookBenchmark.freePort();
            int httpPort = WebhookBenchmark.freePort();
            WebhookBenchmark.register(api.client, root, port);
            Path kubeconfig = ControllerBenchmark.kubeconfig(api.server.url("/").replaceAll("/$", ""), work.resolve("webhook.kubeconfig"));
            for (String run : List.of("webhook-first", "webhook-restart")) {
                Path out = work.resolve(run + ".classlist");
                Process webhook = WebhookBenchmark.start(root, jar, kubeconfig, List.of("-XX:DumpLoadedClassList=" + out), port, httpPort,
                        work.resolve(run + ".log"));
                try {
                    WebhookBenchmark.awaitReady(webhook, httpPort, System.nanoTime());
                    review(api.client, port, reviews);
                    HttpClient plain = HttpClient.newHttpClient();
                    for (String path : List.of("/metrics", "/healthz", "/readyz")) {
                        plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(),
                                HttpResponse.BodyHandlers.discarding());
                    }
                } finally {
                    // SIGTERM: the graceful stop is on the list too
                    if (!ControllerBenchmark.stop(webhook, Duration.ofSeconds(30))) {
                        throw new IllegalStateException("training: the webhook did not stop within 30 s; see " + work.resolve(run + ".log"));
                    }
                }
                lists.add(checked(out, run));
            }
        }
        return lists;
    }

    /** Sends every review {@link #REVIEW_ROUNDS} times over HTTP/2 and HTTP/1.1, trusting the CA in the webhook's Secret. */
    private static void review(KubernetesClient client, int port, List<byte[]> reviews) throws Exception {
        Secret secret = client.secrets().inNamespace("istio-system").withName("sidecar-injector-certs").get();
        if (secret == null) {
            throw new IllegalStateException("training: the webhook made no Secret istio-system/sidecar-injector-certs");
        }
        X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Base64.getDecoder().decode(secret.getData().get("ca.crt"))));
        URI inject = URI.create("https://127.0.0.1:" + port + "/inject");
        for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1)) {
            HttpClient https = HttpClient.newBuilder().version(version).sslContext(TestCertificates.trusting(ca))
                    .connectTimeout(Duration.ofSeconds(10)).build();
            for (int round = 0; round < REVIEW_ROUNDS; round++) {
                for (byte[] review : reviews) {
                    expect(https, HttpRequest.newBuilder(inject).POST(HttpRequest.BodyPublishers.ofByteArray(review)), 200);
                }
            }
            expect(https, HttpRequest.newBuilder(inject).POST(HttpRequest.BodyPublishers.ofString("{\"kind\":")), 400);
        }
    }

    private static void expect(HttpClient client, HttpRequest.Builder request, int status) throws Exception {
        HttpResponse<String> response = client.send(request.header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != status) {
            throw new IllegalStateException("training: /inject answered " + response.statusCode() + " where " + status + " was due: "
                    + response.body());
        }
    }

    private static Path checked(Path list, String run) throws IOException {
        List<String> lines = Files.readAllLines(list);
        if (lines.size() < 1000) {
            throw new IllegalStateException(list + " names only " + lines.size() + " classes: the " + run + " training run did not get far");
        }
        return list;
    }
}
