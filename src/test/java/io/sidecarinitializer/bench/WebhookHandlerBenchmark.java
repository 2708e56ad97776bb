package io.sidecarinitializer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.webhook.AdmissionMetrics;
import io.sidecarinitializer.webhook.CertificateAuthority;
import io.sidecarinitializer.webhook.PodAdmission;
import io.sidecarinitializer.webhook.ReviewHandler;
import io.sidecarinitializer.webhook.TestCertificates;
import io.sidecarinitializer.webhook.TlsCredentials;
import io.sidecarinitializer.webhook.WebhookServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * The webhook's own handling time per AdmissionReview (parse, decide, inject, patch, answer) against its floor in
 * the same JVM, rounds interleaved: the floor is reading the same review into a JSON tree and writing it back,
 * which no handler can avoid. Then the same reviews over HTTPS (HTTP/2, TLS 1.3, a warm connection, 16 in flight):
 * per-request time as a client sees it, and throughput. The end-to-end benchmark through a real kube-apiserver is
 * the e2e suite's.
 *
 * <p>Not a test: a main that prints its figures. Run:
 * {@code ./mvnw -q -B test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.sidecarinitializer.bench.WebhookHandlerBenchmark}
 *
 * <p>System properties: {@code bench.reviews} (20000 per round), {@code bench.rounds} (5), {@code bench.https} (5000; 0 skips the HTTPS part).
 */
public final class WebhookHandlerBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private WebhookHandlerBenchmark() {}

    public static void main(String[] args) throws Exception {
        int reviews = Integer.getInteger("bench.reviews", 20_000);
        int rounds = Integer.getInteger("bench.rounds", 5);
        int https = Integer.getInteger("bench.https", 5_000);
        Injector injector = new Injector(InjectConfigParser.parse(""), MeshConfig.defaults());
        ReviewHandler handler = new ReviewHandler(new PodAdmission(() -> injector, false, JSON),
                new AdmissionMetrics(new SimpleMeterRegistry()), JSON);
        byte[] review = podCreate();
        System.out.printf(Locale.ROOT, "review: %d bytes (a ReplicaSet's pod, as the API server sends it); %d CPUs%n",
                review.length, Runtime.getRuntime().availableProcessors());

        long[] handled = new long[reviews * rounds];
        long[] quiet = new long[reviews * rounds];
        long[] floor = new long[reviews * rounds];
        // The info line per injected pod goes to the console; timed with it and without it (logger at WARN).
        ch.qos.logback.classic.Logger podLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PodAdmission.class);
        ch.qos.logback.classic.Level level = podLog.getLevel();
        for (int r = -2; r < rounds; r++) {
            int at = Math.max(r, 0) * reviews; // rounds -2 and -1 warm up and are overwritten
            podLog.setLevel(level);
            time(() -> handler.handle(review), handled, at, reviews);
            podLog.setLevel(ch.qos.logback.classic.Level.WARN);
            time(() -> handler.handle(review), quiet, at, reviews);
            podLog.setLevel(level);
            time(() -> roundTrip(review), floor, at, reviews);
        }
        report("handler (one thread), info line per pod", handled);
        report("handler (one thread), no log line", quiet);
        report("floor: JSON read + write", floor);
        System.out.printf(Locale.ROOT, "handler / floor, median: %.2fx (no log line: %.2fx)%n", median(handled) / median(floor),
                median(quiet) / median(floor));
        // Garbage per review sets how often the webhook's young collections pause every request in flight.
        System.out.printf(Locale.ROOT, "allocated per review: handler %.1f KiB, floor %.1f KiB%n",
                allocatedPerCall(() -> handler.handle(review), reviews) / 1024, allocatedPerCall(() -> roundTrip(review), reviews) / 1024);

        if (https > 0) {
            overHttps(handler, review, https);
        }
    }

    private static double allocatedPerCall(java.util.function.Supplier<Object> call, int calls) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            call.get();
        }
        return (double) (threads.getCurrentThreadAllocatedBytes() - before) / calls;
    }

    private static void overHttps(ReviewHandler handler, byte[] review, int count) throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("bench", Instant.now(), Duration.ofDays(1));
        TlsCredentials serving = ca.issue(List.of("localhost"), Instant.now(), Duration.ofDays(1));
        try (WebhookServer server = WebhookServer.start(0, serving, handler)) {
            HttpClient client = HttpClient.newBuilder().sslContext(TestCertificates.trusting(ca.certificate())).version(HttpClient.Version.HTTP_2).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + WebhookServer.PATH))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(review)).build();
            for (int i = 0; i < 2_000; i++) {
                client.send(request, HttpResponse.BodyHandlers.discarding());
            }
            long[] latency = new long[count];
            Semaphore inFlight = new Semaphore(16);
            List<CompletableFuture<?>> calls = new ArrayList<>(count);
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                inFlight.acquire();
                int n = i;
                long sent = System.nanoTime();
                calls.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, error) -> {
                    latency[n] = System.nanoTime() - sent;
                    inFlight.release();
                    if (error != null || response.statusCode() != 200) {
                        throw new IllegalStateException("call " + n + " failed: " + (error != null ? error : response.statusCode()));
                    }
                }));
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            report("HTTPS, HTTP/2, 16 in flight (client-side)", latency);
            System.out.printf(Locale.ROOT, "HTTPS throughput: %.0f reviews/s over %d reviews%n", count / seconds, count);
        }
    }

    private static Object roundTrip(byte[] review) {
        try {
            return JSON.writeValueAsBytes(JSON.readValue(review, Object.class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void time(java.util.function.Supplier<Object> work, long[] into, int from, int count) {
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            Object out = work.get();
            into[from + i] = System.nanoTime() - t;
            if (out == null) {
                throw new IllegalStateException("no answer");
            }
        }
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double total = Arrays.stream(sorted).sum() / 1e9;
        System.out.printf(Locale.ROOT, "%-44s p50 %7.1f µs  p99 %7.1f µs  p99.9 %7.1f µs  max %8.1f µs  (%.0f/s per thread)%n", what,
                sorted[sorted.length / 2] / 1e3, sorted[(int) (sorted.length * 0.99)] / 1e3, sorted[(int) (sorted.length * 0.999)] / 1e3,
                sorted[sorted.length - 1] / 1e3, sorted.length / total);
    }

    /** A Pod CREATE review as kube-apiserver 1.20 sends it for a ReplicaSet's pod (defaults filled in). */
    private static byte[] podCreate() throws Exception {
        String pod = """
                {"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"productpage-v1-6b746f74dc-","creationTimestamp":null,
                "labels":{"app":"productpage","pod-template-hash":"6b746f74dc","version":"v1"},
                "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"productpage-v1-6b746f74dc",
                "uid":"1f0e7a4c-3c1a-4b0e-9d55-2b8f1c0d9e11","controller":true,"blockOwnerDeletion":true}]},
                "spec":{"volumes":[{"name":"tmp","emptyDir":{}},{"name":"bookinfo-productpage-token-x7k2p",
                "secret":{"secretName":"bookinfo-productpage-token-x7k2p","defaultMode":420}}],
                "containers":[{"name":"productpage","image":"docker.io/istio/examples-bookinfo-productpage-v1:1.16.2",
                "ports":[{"containerPort":9080,"protocol":"TCP"}],"resources":{},
                "volumeMounts":[{"name":"tmp","mountPath":"/tmp"},{"name":"bookinfo-productpage-token-x7k2p","readOnly":true,
                "mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log",
                "terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","securityContext":{"runAsUser":1000}}],
                "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
                "serviceAccountName":"bookinfo-productpage","serviceAccount":"bookinfo-productpage","securityContext":{},
                "schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists",
                "effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists",
                "effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,
                "preemptionPolicy":"PreemptLowerPriority"},"status":{}}""";
        Map<String, Object> request = Map.of("uid", "c1a7b2f0-0d4e-4f5a-9b1c-7e2d3f4a5b60",
                "kind", Map.of("group", "", "version", "v1", "kind", "Pod"),
                "resource", Map.of("group", "", "version", "v1", "resource", "pods"),
                "namespace", "bookinfo", "operation", "CREATE", "object", JSON.readValue(pod, Object.class));
        return JSON.writeValueAsString(Map.of("apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request", request))
                .getBytes(StandardCharsets.UTF_8);
    }
}
