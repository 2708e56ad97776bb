package io.sidecarinitializer.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The training run behind the image's class-data sharing archive: runs the real jar's {@code controller} against
 * an in-process mock API server with {@code -XX:DumpLoadedClassList}, through startup, readiness, a few hundred
 * injections, the probe and metrics endpoints and a graceful stop, and leaves the list of classes it loaded. The
 * image build turns the list into an archive with {@code java -Xshare:dump} for its own JVM (see the Dockerfile),
 * and the controller benchmark does the same for the JVM it runs. The mock is test code, so this is too.
 *
 * <p>Run: {@code ./mvnw -q -B exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.sidecarinitializer.bench.ControllerClassList -Dexec.args="target/sidecar-initializer.jar
 * target/controller.classlist"}
 */
public final class ControllerClassList {
    private static final int OBJECTS = 300;

    private ControllerClassList() {}

    public static void main(String[] args) throws Exception {
        ControllerBenchmark.quietLogs();
        Path jar = Path.of(args.length > 0 ? args[0] : "target/sidecar-initializer.jar").toAbsolutePath();
        Path out = Path.of(args.length > 1 ? args[1] : "target/controller.classlist").toAbsolutePath();
        int classes = write(jar, out);
        System.out.printf(Locale.ROOT, "%s: %d classes loaded by the controller%n", out, classes);
    }

    /** Writes the class list of a training run of {@code jar} to {@code out}; returns how many classes it names. */
    static int write(Path jar, Path out) throws Exception {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw -q -B package -DskipTests first");
        }
        Path work = Files.createTempDirectory("controller-classlist");
        Files.deleteIfExists(out);
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
        List<String> lines = Files.readAllLines(out);
        if (lines.size() < 1000) {
            throw new IllegalStateException(out + " names only " + lines.size() + " classes: the training run did not get far");
        }
        return (int) lines.stream().filter(l -> !l.startsWith("@") && !l.startsWith("#")).count();
    }
}
