package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * SPEC §6's reference: for every file of {@link KubeInjectCorpus}, {@code kubectl create --dry-run=client
 * --validate=false -o json} of kube-inject's output equals that of its input once {@link SidecarAdditions} has
 * taken the sidecar back out, and every document kube-inject does not inject comes out byte for byte.
 *
 * <p>kube-inject runs as users run it, {@code target/kube-inject} (the launcher, with its class-data archive), on
 * directories of corpus files ({@link KubeInjectBatches}); kubectl reads all inputs in one process and all outputs in another
 * ({@link KubectlReadings}). For kinds in versions this 1.20 server does not serve (apps/v1beta1, CronJob
 * batch/v1, ...), kubectl {@code annotate --local} reads them instead, which needs no discovery. Inputs,
 * outputs and each run's stderr stay in {@code target/e2e/kube-inject-corpus/} for a look after a failure.
 */
@RealKubeApiServer
class KubeInjectDifferentialIT {
    private static List<Path> corpus;
    private static Path outDir;
    private static final Map<Path, KubeInjectBatches.Result> RUNS = new LinkedHashMap<>();
    private static Map<Path, KubectlReadings.Reading> createIn;
    private static Map<Path, KubectlReadings.Reading> createOut;
    private static Map<Path, KubectlReadings.Reading> localIn;
    private static Map<Path, KubectlReadings.Reading> localOut;

    @BeforeAll
    static void injectTheCorpusAndReadItWithKubectl(KubeEnvironment env) throws Exception {
        Path work = env.logDir().resolve("kube-inject-corpus");
        deleteTree(work);
        Path inDir = work.resolve("in");
        outDir = work.resolve("out");
        Files.createDirectories(outDir);
        corpus = KubeInjectCorpus.write(env.projectDir().resolve("src/test/resources/kube-inject-corpus"), inDir);

        Path launcher = env.projectDir().resolve("target/kube-inject");
        Map<String, String> environment = Map.of("SIDECAR_INITIALIZER_JAR", env.jar().toString(),
                "JAVA_HOME", Path.of(env.java()).getParent().getParent().toString(),
                "XDG_CACHE_HOME", work.resolve("cache").toString());
        long t0 = System.nanoTime();
        KubeInjectBatches batches = new KubeInjectBatches(launcher, environment, Files.createDirectories(work.resolve("batches")));
        for (Map.Entry<Path, KubeInjectBatches.Result> r : batches.run(corpus).entrySet()) {
            RUNS.put(r.getKey(), r.getValue());
            Files.write(output(r.getKey()), r.getValue().stdout());
            Files.writeString(outDir.resolve(r.getKey().getFileName() + ".stderr"), r.getValue().stderr());
        }
        long t1 = System.nanoTime();
        List<Path> outputs = corpus.stream().map(KubeInjectDifferentialIT::output).toList();
        Kubectl kubectl = env.kubectl();
        createIn = KubectlReadings.create(kubectl, corpus, work.resolve("markers"));
        createOut = KubectlReadings.create(kubectl, outputs, work.resolve("markers"));
        localIn = KubectlReadings.local(kubectl, corpus, work.resolve("markers"));
        localOut = KubectlReadings.local(kubectl, outputs, work.resolve("markers"));
        System.out.printf("[kube-inject corpus] %d files: kube-inject %.1f s (%d processes), kubectl %.1f s%n", corpus.size(),
                (t1 - t0) / 1e9, batches.processes(), (System.nanoTime() - t1) / 1e9);
    }

    @Test
    void theCorpusHasAtLeast200FilesAndEveryInjectedKindInEveryVersion() {
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(200);
        List<String> read = new ArrayList<>();
        for (Path f : corpus) {
            KubectlReadings.Reading r = createIn.get(f).unmapped() ? localIn.get(f) : createIn.get(f);
            r.objects().forEach(o -> read.add(o.path("kind").asText() + " " + o.path("apiVersion").asText()));
        }
        for (String[] w : KubeInjectCorpus.WORKLOADS) {
            assertThat(read).as("kubectl read a %s %s in the corpus", w[0], w[1]).contains(w[0] + " " + w[1]);
        }
        assertThat(read).contains("Service v1", "ConfigMap v1", "Secret v1", "CustomResourceDefinition apiextensions.k8s.io/v1");
    }

    @TestFactory
    Stream<DynamicTest> kubectlReadsTheOutputAsTheInputPlusTheSidecarAndUninjectedDocumentsKeepTheirBytes() {
        return corpus.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            List<String> problems = problems(file);
            if (!problems.isEmpty()) {
                throw new AssertionError(file.getFileName() + ":\n  " + String.join("\n  ", problems));
            }
        }));
    }

    /** One line for the log: which corpus files fail, so a run's state can be read without the reports. */
    @AfterAll
    static void listTheFailingFiles() throws IOException {
        if (corpus == null || createIn == null) {
            return;
        }
        List<String> failing = new ArrayList<>();
        for (Path f : corpus) {
            if (!problems(f).isEmpty()) {
                failing.add(f.getFileName().toString());
            }
        }
        System.out.printf("[kube-inject corpus] %d of %d files fail: %s%n", failing.size(), corpus.size(), failing);
    }

    /** Everything wrong with one corpus file's output, first difference only per object. */
    private static List<String> problems(Path file) throws IOException {
        List<String> problems = new ArrayList<>();
        KubeInjectBatches.Result run = RUNS.get(file);
        if (run.exit() != 0) {
            problems.add("kube-inject exited " + run.exit() + ": " + run.stderr().strip());
            return problems;
        }
        byte[] in = Files.readAllBytes(file);
        byte[] out = Files.readAllBytes(output(file));
        List<byte[]> inDocs = YamlDocumentBytes.split(in);
        List<byte[]> outDocs = YamlDocumentBytes.split(out);
        boolean anyInjected = false;
        if (inDocs.size() != outDocs.size()) {
            problems.add(inDocs.size() + " documents in, " + outDocs.size() + " out");
        } else {
            for (int i = 0; i < inDocs.size(); i++) {
                if (YamlDocumentBytes.injected(inDocs.get(i), outDocs.get(i))) {
                    anyInjected = true;
                } else if (FirstDifference.of(inDocs.get(i), outDocs.get(i)) != null) {
                    problems.add("document " + (i + 1) + " was not injected but changed: " + FirstDifference.of(inDocs.get(i), outDocs.get(i)));
                }
            }
        }
        if (!anyInjected && problems.isEmpty() && FirstDifference.of(in, out) != null) {
            problems.add("nothing injected, but the bytes changed: " + FirstDifference.of(in, out));
        }
        boolean local = createIn.get(file).unmapped();
        KubectlReadings.Reading before = (local ? localIn : createIn).get(file);
        KubectlReadings.Reading after = (local ? localOut : createOut).get(output(file));
        String how = local ? "kubectl annotate --local" : "kubectl create --dry-run=client";
        if (!before.errors().equals(after.errors())) {
            problems.add(how + " errors differ: input " + before.errors() + ", output " + after.errors());
        }
        if (before.objects().size() != after.objects().size()) {
            problems.add(how + " read " + before.objects().size() + " objects in the input, " + after.objects().size() + " in the output");
            return problems;
        }
        for (int i = 0; i < before.objects().size(); i++) {
            JsonNode original = before.objects().get(i);
            JsonNode restored = SidecarAdditions.remove(after.objects().get(i), original);
            String d = FirstDifference.of(original, restored);
            if (d != null) {
                problems.add(how + ", object " + (i + 1) + " (" + original.path("kind").asText() + " "
                        + original.path("metadata").path("name").asText() + "): " + d);
            }
        }
        return problems;
    }

    private static Path output(Path input) {
        return outDir.resolve(input.getFileName());
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
