package io.sidecarinitializer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/**
 * Wall time of one {@code kube-inject} on a small file, JVM start included, as a user feels it in
 * {@code kubectl apply -f <(kube-inject -f app.yaml)}: every variant is a fresh process, rounds are interleaved (and
 * rotated) so machine noise hits every variant alike, and every kube-inject variant must print the same bytes.
 *
 * <p>Not a test: a main that prints its figures. Package first, then run:
 * {@code ./mvnw -q -B package -DskipTests && ./mvnw -q -B exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.sidecarinitializer.bench.KubeInjectStartupBenchmark}
 *
 * <p>Issue 13's yardstick: the launcher ({@code target/kube-inject} on {@code target/kube-inject.jar}) against a bare
 * JVM printing "hello world" ({@code java -cp dir Hello}, default flags), each on its JDK, in the same rounds; the
 * ratio of medians and the median of the per-round ratios are printed against the 2.5× target. Beside them, on JDK
 * 17, the archive choices the launcher could make (static or dynamic AppCDS, serial or G1 collector) and the whole
 * jar, for reference.
 *
 * <p>The jars are copied to a scratch directory first, so a parallel {@code mvn package} cannot swap them mid-run (and
 * so the archives, tied to the jar's size and time, stay valid). System properties: {@code bench.jar}
 * (target/kube-inject.jar), {@code bench.wholeJar} (target/sidecar-initializer.jar), {@code bench.input}
 * (manifests/samples/echo.yaml), {@code bench.warmup} (3), {@code bench.runs} (20), {@code bench.keep} (keep the
 * scratch directory), {@code bench.jdk25} (/usr/lib/jvm/temurin-25-jdk-amd64; measured too when it is there),
 * {@code bench.launcher} (src/main/scripts/kube-inject).
 */
public final class KubeInjectStartupBenchmark {
    /** Issue 13: a small file through target/kube-inject in at most 2.5 times a bare JVM's hello world. */
    private static final double TARGET_RATIO = 2.5;
    private static final String MAIN = "io.sidecarinitializer.kubeinject.KubeInjectMain";
    /** The launcher's JVM flags (on either JDK). */
    private static final List<String> LAUNCHER_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData");

    private KubeInjectStartupBenchmark() {}

    /** A process: its command line and environment; {@code kubeInject} when its output must be the reference's. */
    private record Variant(String name, List<String> command, Map<String, String> env, boolean kubeInject) {}

    private record Run(long nanos, byte[] stdout, String stderr, int exit) {}

    public static void main(String[] args) throws Exception {
        Path slimIn = Path.of(System.getProperty("bench.jar", "target/kube-inject.jar")).toAbsolutePath();
        Path wholeIn = Path.of(System.getProperty("bench.wholeJar", "target/sidecar-initializer.jar")).toAbsolutePath();
        Path input = Path.of(System.getProperty("bench.input", "manifests/samples/echo.yaml")).toAbsolutePath();
        Path script = Path.of(System.getProperty("bench.launcher", "src/main/scripts/kube-inject")).toAbsolutePath();
        int warmup = Integer.getInteger("bench.warmup", 3);
        int runs = Integer.getInteger("bench.runs", 20);
        for (Path p : List.of(slimIn, wholeIn, script)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(p + " is missing: run ./mvnw -q -B package -DskipTests first");
            }
        }
        Path jdk17 = Path.of(System.getProperty("java.home"));
        Path jdk25 = Path.of(System.getProperty("bench.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        List<Path> homes = new ArrayList<>(List.of(jdk17));
        if (Files.isExecutable(jdk25.resolve("bin/java")) && !jdk25.equals(jdk17)) {
            homes.add(jdk25);
        }
        Path work = Files.createTempDirectory("kube-inject-startup");
        Path slim = copy(slimIn, work.resolve("kube-inject.jar"));
        Path whole = copy(wholeIn, work.resolve("whole").resolve("sidecar-initializer.jar"));
        Path hello = helloWorld(work);
        String java17 = java(jdk17);
        List<String> kubeInjectArgs = List.of("-f", input.toString());

        Run reference = run(new Variant("reference", concat(List.of(java17, "-jar", whole.toString(), "kube-inject"), kubeInjectArgs), Map.of(), true), true);
        if (reference.exit != 0) {
            throw new IllegalStateException("kube-inject failed (exit " + reference.exit + "): " + reference.stderr);
        }

        // JDK 17's two kinds of AppCDS archive, both trained on this input: static (the JDK's classes and ours in one
        // archive, made by -Xshare:dump from a class list) and dynamic (ours only, on top of the JDK's own archive).
        List<String> slimRun = concat(List.of("-cp", slim.toString(), MAIN), kubeInjectArgs);
        Path staticJsa = work.resolve("static.jsa");
        Path dynamicJsa = work.resolve("dynamic.jsa");
        Path classList = work.resolve("classes.list");
        mustRun(concat(List.of(java17, "-XX:DumpLoadedClassList=" + classList), LAUNCHER_FLAGS, slimRun));
        mustRun(concat(List.of(java17, "-Xshare:dump", "-XX:SharedClassListFile=" + classList, "-XX:SharedArchiveFile=" + staticJsa),
                LAUNCHER_FLAGS, List.of("-cp", slim.toString())));
        Path g1Jsa = work.resolve("static-g1.jsa");
        mustRun(List.of(java17, "-Xshare:dump", "-XX:SharedClassListFile=" + classList, "-XX:SharedArchiveFile=" + g1Jsa,
                "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-cp", slim.toString()));
        mustRun(concat(List.of(java17, "-XX:ArchiveClassesAtExit=" + dynamicJsa), LAUNCHER_FLAGS, slimRun));

        List<Variant> variants = new ArrayList<>();
        Map<Variant, Variant> launcherAgainstHello = new LinkedHashMap<>();
        for (Path home : homes) {
            String jdk = "JDK " + feature(home);
            Variant bare = new Variant("[hello world, " + jdk + "]", List.of(java(home), "-cp", hello.toString(), "Hello"), Map.of(), false);
            Variant launcher = launcher("launcher, " + jdk, script, home, slim, work.resolve("cache-" + feature(home)), kubeInjectArgs);
            variants.add(bare);
            variants.add(launcher);
            launcherAgainstHello.put(launcher, bare);
            variants.add(launcher("launcher, " + jdk + ", whole jar", script, home, whole, work.resolve("cache-whole-" + feature(home)), kubeInjectArgs));
        }
        Variant staticSerial = new Variant("JDK 17 static AppCDS, C1, Serial", concat(List.of(java17, "-XX:SharedArchiveFile=" + staticJsa), LAUNCHER_FLAGS, slimRun), Map.of(), true);
        Variant dynamicSerial = new Variant("JDK 17 dynamic AppCDS, C1, Serial", concat(List.of(java17, "-XX:SharedArchiveFile=" + dynamicJsa), LAUNCHER_FLAGS, slimRun), Map.of(), true);
        variants.add(staticSerial);
        variants.add(dynamicSerial);
        variants.add(new Variant("JDK 17 static AppCDS, C1, G1", concat(List.of(java17, "-XX:SharedArchiveFile=" + g1Jsa, "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"), slimRun), Map.of(), true));
        variants.add(new Variant("JDK 17 JDK's CDS only, C1, Serial", concat(List.of(java17), LAUNCHER_FLAGS, slimRun), Map.of(), true));
        if (homes.size() > 1) {
            // JDK 25: the AOT cache with both compilers (the launcher's choice) and with C1 alone, each trained with its flags.
            String java25 = java(homes.get(1));
            for (List<String> flags : List.of(List.of("-XX:+UseSerialGC", "-XX:-UsePerfData"), LAUNCHER_FLAGS)) {
                Path aot = work.resolve("jdk25-" + flags.size() + ".aot");
                Path config = work.resolve("jdk25-" + flags.size() + ".aotconf");
                mustRun(concat(List.of(java25, "-XX:AOTMode=record", "-XX:AOTConfiguration=" + config), flags, slimRun));
                mustRun(concat(List.of(java25, "-XX:AOTMode=create", "-XX:AOTConfiguration=" + config, "-XX:AOTCache=" + aot), flags,
                        List.of("-cp", slim.toString())));
                variants.add(new Variant("JDK 25 AOT cache, " + (flags.size() == 2 ? "C1+C2" : "C1") + ", Serial",
                        concat(List.of(java25, "-XX:AOTCache=" + aot), flags, slimRun), Map.of(), true));
            }
        }
        Variant plainWhole = new Variant("JDK 17 java -jar whole jar", concat(List.of(java17, "-jar", whole.toString(), "kube-inject"), kubeInjectArgs), Map.of(), true);
        variants.add(plainWhole);

        System.out.printf(Locale.ROOT, "kube-inject startup on %s, %d warm-up + %d measured rounds, %d variants interleaved; load average %s",
                Path.of("").toAbsolutePath().relativize(input), warmup, runs, variants.size(), Files.readString(Path.of("/proc/loadavg")));
        System.out.printf(Locale.ROOT, "kube-inject.jar %.1f MB (%d entries), whole jar %.1f MB; archives: static %.1f MB, dynamic %.1f MB; %d CPUs%n",
                Files.size(slim) / 1e6, entries(slim), Files.size(whole) / 1e6, Files.size(staticJsa) / 1e6, Files.size(dynamicJsa) / 1e6,
                Runtime.getRuntime().availableProcessors());

        for (Variant v : variants) {
            Run r = run(v, true);
            if (v.command.get(0).equals("/bin/sh")) {
                r = run(v, true); // the first run wrote the launcher's cache; this one uses it
            }
            if (r.exit != 0 || v.kubeInject && !Arrays.equals(r.stdout, reference.stdout) || v.kubeInject && !r.stderr.equals(reference.stderr)) {
                throw new IllegalStateException(v.name + ": exit " + r.exit + ", output " + (Arrays.equals(r.stdout, reference.stdout) ? "same" : "DIFFERENT")
                        + "; stderr: " + r.stderr);
            }
        }
        System.out.println("every kube-inject variant printed the same " + reference.stdout.length + " bytes and the same summary");

        Map<Variant, List<Long>> times = new LinkedHashMap<>();
        variants.forEach(v -> times.put(v, new ArrayList<>()));
        for (int round = -warmup; round < runs; round++) {
            int n = variants.size();
            for (int i = 0; i < n; i++) {
                Variant v = variants.get((i + Math.floorMod(round, n)) % n); // rotated: no variant always follows the same one
                Run r = run(v, false);
                if (r.exit != 0) {
                    throw new IllegalStateException(v.name + " failed: " + r.stderr);
                }
                if (round >= 0) {
                    times.get(v).add(r.nanos);
                }
            }
            System.err.print(round < 0 ? "w" : ".");
        }
        System.err.println();
        System.out.printf(Locale.ROOT, "load average after: %s", Files.readString(Path.of("/proc/loadavg")));

        Variant hello17 = variants.get(0);
        System.out.printf(Locale.ROOT, "%n%-36s %9s %9s %9s %9s %14s%n", "variant (" + runs + " runs each)", "median s", "p90 s", "min s", "max s", "vs hello, JDK 17");
        for (Map.Entry<Variant, List<Long>> e : times.entrySet()) {
            List<Long> t = e.getValue();
            System.out.printf(Locale.ROOT, "%-36s %9.3f %9.3f %9.3f %9.3f %13.2fx%n", e.getKey().name, median(t), percentile(t, 0.9),
                    percentile(t, 0), percentile(t, 1), median(t) / median(times.get(hello17)));
        }

        System.out.println();
        for (Map.Entry<Variant, Variant> pair : launcherAgainstHello.entrySet()) {
            List<Long> launched = times.get(pair.getKey());
            List<Long> bare = times.get(pair.getValue());
            List<Long> perRound = ratios(launched, bare);
            double ratio = median(launched) / median(bare);
            System.out.printf(Locale.ROOT, "%s: median %.3f s vs %s %.3f s: %.2fx (median of per-round ratios %.2fx, p90 %.2fx); target <= %.1fx: %s%n",
                    pair.getKey().name, median(launched), pair.getValue().name, median(bare), ratio, median(perRound), percentile(perRound, 0.9),
                    TARGET_RATIO, ratio <= TARGET_RATIO ? "MET" : "NOT MET");
        }
        List<Long> staticVsDynamic = ratios(times.get(staticSerial), times.get(dynamicSerial));
        System.out.printf(Locale.ROOT, "JDK 17 static against dynamic AppCDS (C1, Serial): medians %.3f s vs %.3f s, %.2fx (per-round ratios: median %.2fx, p90 %.2fx)%n",
                median(times.get(staticSerial)), median(times.get(dynamicSerial)), median(times.get(staticSerial)) / median(times.get(dynamicSerial)),
                median(staticVsDynamic), percentile(staticVsDynamic, 0.9));

        System.out.println("\nclasses loaded in one run, by where they came from, and JVM uptime when KubeInjectMain and the last class loaded:");
        for (Variant v : variants) {
            if (v.kubeInject) {
                classLoadReport(v, work);
            }
        }

        if (Boolean.getBoolean("bench.keep")) {
            System.out.println("\nscratch directory kept: " + work);
        } else {
            deleteTree(work);
        }
    }

    /** The launcher script on this JDK and jar, with a cache of its own. */
    private static Variant launcher(String name, Path script, Path javaHome, Path jar, Path cache, List<String> args) {
        return new Variant(name, concat(List.of("/bin/sh", script.toString()), args),
                Map.of("SIDECAR_INITIALIZER_JAR", jar.toString(), "XDG_CACHE_HOME", cache.toString(), "JAVA_HOME", javaHome.toString()), true);
    }

    /** Per-round ratios, as "nanos" so that {@link #percentile} reads them. */
    private static List<Long> ratios(List<Long> a, List<Long> b) {
        List<Long> perRound = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            perRound.add(Math.round(1e9 * a.get(i) / (double) b.get(i)));
        }
        return perRound;
    }

    private static void mustRun(List<String> command) throws IOException, InterruptedException {
        Run r = run(new Variant("setup", command, Map.of(), false), true);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + r.stderr);
        }
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) {
            all.addAll(p);
        }
        return all;
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        return Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
    }

    private static String java(Path home) {
        return home.resolve("bin/java").toString();
    }

    /** A compiled {@code Hello} class in {@code work/hello}: the bare-JVM yardstick. */
    private static Path helloWorld(Path work) throws IOException {
        Path dir = Files.createDirectories(work.resolve("hello"));
        Path source = Files.writeString(dir.resolve("Hello.java"),
                "public class Hello { public static void main(String[] args) { System.out.println(\"hello world\"); } }\n");
        // --release 17: the class must run on every JDK measured.
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-d", dir.toString(), source.toString());
        if (status != 0) {
            throw new IllegalStateException("cannot compile " + source);
        }
        return dir;
    }

    /** The feature version in a JDK's release file (JAVA_VERSION="25.0.3" gives 25). */
    private static int feature(Path javaHome) throws IOException {
        for (String line : Files.readAllLines(javaHome.resolve("release"))) {
            if (line.startsWith("JAVA_VERSION=\"")) {
                return Integer.parseInt(line.substring("JAVA_VERSION=\"".length()).split("[.\"]")[0]);
            }
        }
        throw new IllegalStateException(javaHome + "/release names no JAVA_VERSION");
    }

    private static Run run(Variant v, boolean capture) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(v.command);
        Map<String, String> e = pb.environment();
        // Options from the caller's environment would change every variant.
        for (String name : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "KUBE_INJECT_JAVA_OPTS", "KUBE_INJECT_CDS")) {
            e.remove(name);
        }
        e.putAll(v.env);
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        if (!capture) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            long t0 = System.nanoTime();
            int exit = pb.start().waitFor();
            return new Run(System.nanoTime() - t0, new byte[0], "", exit);
        }
        Path out = Files.createTempFile("kube-inject-out", ".yaml");
        Path err = Files.createTempFile("kube-inject-err", ".txt");
        try {
            pb.redirectOutput(out.toFile());
            pb.redirectError(err.toFile());
            long t0 = System.nanoTime();
            int exit = pb.start().waitFor();
            long t = System.nanoTime() - t0;
            return new Run(t, Files.readAllBytes(out), Files.readString(err), exit);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static final Pattern LOAD_LINE = Pattern.compile("^\\[(\\d+\\.\\d+)s\\] (\\S+) source: (.*)$");

    /** One run with -Xlog:class+load: where classes came from, and when KubeInjectMain and the last class loaded. */
    private static void classLoadReport(Variant v, Path work) throws IOException, InterruptedException {
        Path log = work.resolve("class-load.log");
        Files.deleteIfExists(log);
        String logFlag = "-Xlog:class+load:file=" + log + ":uptime";
        Variant logged;
        if (v.command.get(0).equals("/bin/sh")) {
            Map<String, String> env = new LinkedHashMap<>(v.env);
            env.put("KUBE_INJECT_JAVA_OPTS", logFlag);
            logged = new Variant(v.name, v.command, env, true);
        } else {
            logged = new Variant(v.name, concat(List.of(v.command.get(0), logFlag), v.command.subList(1, v.command.size())), v.env, true);
        }
        Run r = run(logged, true);
        Map<String, Integer> bySource = new TreeMap<>();
        double mainAt = Double.NaN;
        double lastAt = 0;
        for (String line : Files.readAllLines(log)) {
            Matcher m = LOAD_LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            double at = Double.parseDouble(m.group(1));
            lastAt = Math.max(lastAt, at);
            if (m.group(2).equals(MAIN)) {
                mainAt = at;
            }
            String source = m.group(3);
            String kind = source.startsWith("shared objects file (top)") ? "app archive (top)"
                    : source.startsWith("shared objects file") ? "archive"
                    : source.startsWith("jrt:") ? "JDK modules"
                    : source.startsWith("file:") || source.startsWith("jar:") ? "jar" : "generated/other";
            bySource.merge(kind, 1, Integer::sum);
        }
        int total = bySource.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf(Locale.ROOT, "  %-36s %4d classes %s; KubeInjectMain at %.3f s, last class at %.3f s (this run's wall %.3f s)%n",
                v.name, total, bySource, mainAt, lastAt, r.nanos / 1e9);
        Files.deleteIfExists(log);
    }

    private static int entries(Path jar) throws IOException {
        try (JarFile f = new JarFile(jar.toFile())) {
            return f.size();
        }
    }

    private static double median(List<Long> nanos) {
        return percentile(nanos, 0.5);
    }

    /** Nearest-rank percentile in seconds; 0 gives the minimum, 1 the maximum, 0.5 the median. */
    private static double percentile(List<Long> nanos, double p) {
        long[] v = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        if (p == 0.5 && v.length % 2 == 0) {
            return (v[v.length / 2 - 1] + v[v.length / 2]) / 2e9;
        }
        int rank = (int) Math.ceil(p * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))] / 1e9;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
