package io.sidecarinitializer.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/**
 * Wall time of one {@code kube-inject} on a small file, JVM start included, as a user feels it in
 * {@code kubectl apply -f <(kube-inject -f app.yaml)}: every variant is a fresh {@code java} process, rounds are
 * interleaved so machine noise hits every variant alike, and every variant must print the same bytes.
 *
 * <p>Not a test: a main that prints its figures. Package first, then run:
 * {@code ./mvnw -q -B package -DskipTests && ./mvnw -q -B exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.sidecarinitializer.bench.KubeInjectStartupBenchmark}
 *
 * <p>The jar is copied to a scratch directory first, so a parallel {@code mvn package} cannot swap it mid-run
 * (and so the CDS archives, which are tied to the jar's size and time, stay valid). System properties:
 * {@code bench.jar} (target/sidecar-initializer.jar), {@code bench.input} (manifests/samples/echo.yaml),
 * {@code bench.warmup} (3), {@code bench.runs} (20), {@code bench.keep} (keep the scratch directory),
 * {@code bench.jdk25} (/usr/lib/jvm/temurin-25-jdk-amd64; measured too when it is there).
 *
 * <p>Issue 13's yardstick: the launcher script against a bare JVM printing "hello world", each on its JDK, in the
 * same rounds; the ratio of medians and the median of the per-round ratios are printed against the 2.5× target.
 */
public final class KubeInjectStartupBenchmark {
    private static final double TARGET_SECONDS = 0.6;
    /** Issue 13: a small file through target/kube-inject in at most 2.5 times a bare JVM's hello world. */
    private static final double TARGET_RATIO = 2.5;
    private static final String C1 = "-XX:TieredStopAtLevel=1";
    private static final String SERIAL = "-XX:+UseSerialGC";
    private static final String NO_PERF_DATA = "-XX:-UsePerfData";
    /**
     * A slim kube-inject jar: our classes, the CLI parser, the YAML library, Jackson for JSON input, plus whatever
     * other class a kube-inject run loads from the full jar (picocli reflects on every subcommand's methods).
     */
    private static final List<String> SLIM_PREFIXES = List.of("META-INF/MANIFEST.MF", "io/sidecarinitializer/", "picocli/",
            "org/yaml/snakeyaml/", "com/fasterxml/jackson/", "build.properties", "logback");

    private KubeInjectStartupBenchmark() {}

    /**
     * A java command line (of the JDK at {@code javaHome}, or the benchmark's own when null), or with {@code launcher}
     * set, a launcher script given {@code command} as its arguments.
     */
    private record Variant(String name, List<String> jvmFlags, Path jar, List<String> command, Map<String, String> env, Path launcher,
                           Path javaHome) {
        Variant(String name, List<String> jvmFlags, Path jar, List<String> command) {
            this(name, jvmFlags, jar, command, Map.of(), null, null);
        }

        Variant(String name, List<String> jvmFlags, Path jar, List<String> command, Map<String, String> env) {
            this(name, jvmFlags, jar, command, env, null, null);
        }
    }

    private record Run(long nanos, byte[] stdout, String stderr, int exit) {}

    public static void main(String[] args) throws Exception {
        Path jarIn = Path.of(System.getProperty("bench.jar", "target/sidecar-initializer.jar")).toAbsolutePath();
        Path input = Path.of(System.getProperty("bench.input", "manifests/samples/echo.yaml")).toAbsolutePath();
        int warmup = Integer.getInteger("bench.warmup", 3);
        int runs = Integer.getInteger("bench.runs", 20);
        if (!Files.isRegularFile(jarIn)) {
            throw new IllegalStateException(jarIn + " is missing: run ./mvnw -q -B package -DskipTests first");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path work = Files.createTempDirectory("kube-inject-startup");
        Path jar = work.resolve("sidecar-initializer.jar");
        Files.copy(jarIn, jar, StandardCopyOption.COPY_ATTRIBUTES);
        List<String> kubeInject = List.of("kube-inject", "-f", input.toString());
        Set<String> loadedFromJar = classesLoadedFromJar(java, new Variant("reference", List.of(), jar, kubeInject), work);
        Path slim = work.resolve("slim").resolve("sidecar-initializer.jar");
        Files.createDirectories(slim.getParent());
        int slimEntries = slimJar(jar, slim, loadedFromJar);
        long extra = loadedFromJar.stream().filter(c -> SLIM_PREFIXES.stream().noneMatch(c::startsWith)).count();

        System.out.printf(Locale.ROOT, "kube-inject startup: %s on %s, %d warm-up + %d measured rounds, variants interleaved%n",
                jarIn.getFileName(), Path.of("").toAbsolutePath().relativize(input), warmup, runs);
        System.out.printf(Locale.ROOT, "java: %s (%s), %d CPUs; jar %.1f MB (%d entries)%n",
                java, System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors(), Files.size(jar) / 1e6, entries(jar));
        System.out.printf(Locale.ROOT, "slim jar (built here, for comparison): %.1f MB, %d entries: %s, plus %d other classes a kube-inject run loads%n",
                Files.size(slim) / 1e6, slimEntries, String.join(" ", SLIM_PREFIXES), extra);
        if (extra > 0) {
            System.out.println("  those classes by package: " + byPackage(loadedFromJar.stream().filter(c -> SLIM_PREFIXES.stream().noneMatch(c::startsWith)).toList()));
        }
        Run reference = run(java, new Variant("reference", List.of(), jar, kubeInject), true);
        if (reference.exit != 0) {
            throw new IllegalStateException("kube-inject failed (exit " + reference.exit + "): " + reference.stderr);
        }

        // AppCDS (JDK 17): a dynamic archive written at the exit of a training run, on top of the JDK's default CDS.
        Path fullJsa = work.resolve("sidecar-initializer.jsa");
        Path slimJsa = work.resolve("slim.jsa");
        train(java, jar, fullJsa, kubeInject);
        train(java, slim, slimJsa, kubeInject);
        String cds = "-XX:SharedArchiveFile=" + fullJsa;
        String slimCds = "-XX:SharedArchiveFile=" + slimJsa;
        System.out.printf(Locale.ROOT, "AppCDS archives: %.1f MB (full jar), %.1f MB (slim jar)%n",
                Files.size(fullJsa) / 1e6, Files.size(slimJsa) / 1e6);

        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("plain java -jar", List.of(), jar, kubeInject));
        variants.add(new Variant("C1 only", List.of(C1), jar, kubeInject));
        variants.add(new Variant("SerialGC", List.of(SERIAL), jar, kubeInject));
        variants.add(new Variant("C1+SerialGC", List.of(C1, SERIAL), jar, kubeInject));
        variants.add(new Variant("AppCDS", List.of(cds), jar, kubeInject));
        variants.add(new Variant("AppCDS+C1", List.of(cds, C1), jar, kubeInject));
        variants.add(new Variant("AppCDS+SerialGC", List.of(cds, SERIAL), jar, kubeInject));
        variants.add(new Variant("AppCDS+C1+SerialGC", List.of(cds, C1, SERIAL), jar, kubeInject));
        variants.add(new Variant("AppCDS+C1+Serial-PerfData", List.of(cds, C1, SERIAL, NO_PERF_DATA), jar, kubeInject));
        variants.add(new Variant("Xshare:off (no CDS)", List.of("-Xshare:off"), jar, kubeInject));
        variants.add(new Variant("slim jar", List.of(), slim, kubeInject));
        variants.add(new Variant("slim AppCDS+C1+SerialGC", List.of(slimCds, C1, SERIAL), slim, kubeInject));
        variants.add(new Variant("JAVA_TOOL_OPTIONS=best", List.of(), jar, kubeInject,
                Map.of("JAVA_TOOL_OPTIONS", String.join(" ", cds, C1, SERIAL))));
        Path script = Path.of(System.getProperty("bench.launcher", "src/main/scripts/kube-inject")).toAbsolutePath();
        // The yardstick: a bare JVM printing "hello world", on each JDK, against the launcher on that JDK.
        Path hello = helloWorld(work);
        Path ownHome = Path.of(System.getProperty("java.home"));
        List<Path> homes = new ArrayList<>(List.of(ownHome));
        Path jdk25 = Path.of(System.getProperty("bench.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        if (Files.isExecutable(jdk25.resolve("bin/java")) && !jdk25.equals(ownHome)) {
            homes.add(jdk25);
        }
        Map<Variant, Variant> launcherOf = new LinkedHashMap<>();
        for (Path home : homes) {
            String jdk = "JDK " + feature(home);
            Variant bare = new Variant("[hello world, " + jdk + "]", List.of("-cp", hello.toString(), "Hello"), null, List.of(), Map.of(), null, home);
            Variant launched = new Variant("launcher script, " + jdk, List.of(), jar, kubeInject.subList(1, kubeInject.size()),
                    Map.of("SIDECAR_INITIALIZER_JAR", jar.toString(), "XDG_CACHE_HOME", work.resolve("launcher-cache-" + feature(home)).toString(),
                            "JAVA_HOME", home.toString()), script, null);
            variants.add(bare);
            if (Files.isRegularFile(script)) {
                variants.add(launched);
                launcherOf.put(bare, launched);
            }
        }
        // Reference points for the breakdown: the JVM alone, and the JVM plus picocli and our Main.
        Variant javaVersion = new Variant("[java -version]", List.of("-version"), null, List.of());
        Variant versionCommand = new Variant("[jar version subcommand]", List.of(), jar, List.of("version"));
        variants.add(javaVersion);
        variants.add(versionCommand);

        for (Variant v : variants) {
            Run r = run(java, v, true);
            boolean kube = v.command == kubeInject || v.launcher != null;
            if (v.launcher != null) {
                r = run(java, v, true); // the first run wrote the cache; this one uses it
            }
            if (r.exit != 0 || kube && !Arrays.equals(r.stdout, reference.stdout)) {
                throw new IllegalStateException(v.name + ": exit " + r.exit + ", output "
                        + (Arrays.equals(r.stdout, reference.stdout) ? "same" : "DIFFERENT") + "; stderr: " + r.stderr);
            }
            String unexpected = r.stderr.lines().filter(l -> !l.contains(": injected") && !l.contains(": skipped")
                    && !l.startsWith("openjdk version") && !l.startsWith("OpenJDK")).reduce((a, b) -> a + " | " + b).orElse("");
            if (!unexpected.isEmpty()) {
                System.out.println("note: " + v.name + " writes to stderr: " + unexpected);
            }
        }
        System.out.println("every kube-inject variant printed the same " + reference.stdout.length + " bytes");
        if (Files.isRegularFile(script)) {
            try (Stream<Path> caches = Files.walk(work).filter(f -> Files.isRegularFile(f) && f.getFileName().toString().startsWith("kube-inject-"))) {
                System.out.println("launcher script " + Path.of("").toAbsolutePath().relativize(script) + ": its first run on each JDK (output checked "
                        + "above) wrote " + caches.map(f -> work.relativize(f).toString()).toList());
            }
        }

        Map<Variant, List<Long>> times = new LinkedHashMap<>();
        variants.forEach(v -> times.put(v, new ArrayList<>()));
        for (int round = -warmup; round < runs; round++) {
            int n = variants.size();
            for (int i = 0; i < n; i++) {
                // Rotate the order every round so no variant always follows the same neighbour.
                Variant v = variants.get((i + Math.floorMod(round, n)) % n);
                Run r = run(java, v, false);
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

        double plainMedian = median(times.get(variants.get(0)));
        System.out.printf(Locale.ROOT, "%n%-28s %9s %9s %9s %9s %9s%n", "variant (" + runs + " runs each)", "median s", "p90 s", "min s", "max s", "vs plain");
        Variant best = null;
        for (Map.Entry<Variant, List<Long>> e : times.entrySet()) {
            List<Long> t = e.getValue();
            double med = median(t);
            System.out.printf(Locale.ROOT, "%-28s %9.3f %9.3f %9.3f %9.3f %9.2f%n", e.getKey().name, med, percentile(t, 0.9),
                    percentile(t, 0), percentile(t, 1), med / plainMedian);
            if ((e.getKey().command == kubeInject || e.getKey().launcher != null) && (best == null || med < median(times.get(best)))) {
                best = e.getKey();
            }
        }
        System.out.printf(Locale.ROOT, "best: %s, median %.3f s (target < %.1f s: %s); plain java -jar median %.3f s (%s)%n",
                best.name, median(times.get(best)), TARGET_SECONDS, median(times.get(best)) < TARGET_SECONDS ? "MET" : "NOT MET",
                plainMedian, plainMedian < TARGET_SECONDS ? "MET" : "NOT MET");

        System.out.println();
        for (Map.Entry<Variant, Variant> pair : launcherOf.entrySet()) {
            List<Long> bare = times.get(pair.getKey());
            List<Long> launched = times.get(pair.getValue());
            List<Long> perRound = new ArrayList<>();
            for (int i = 0; i < bare.size(); i++) {
                perRound.add(Math.round(1e9 * launched.get(i) / (double) bare.get(i))); // ratios as "nanos" for percentile()
            }
            double ratio = median(launched) / median(bare);
            System.out.printf(Locale.ROOT, "%s: median %.3f s vs %s %.3f s: %.2fx (median of per-round ratios %.2fx, p90 %.2fx); "
                            + "target <= %.1fx: %s%n", pair.getValue().name, median(launched), pair.getKey().name, median(bare), ratio,
                    median(perRound), percentile(perRound, 0.9), TARGET_RATIO, ratio <= TARGET_RATIO ? "MET" : "NOT MET");
        }

        double jvm = median(times.get(javaVersion));
        double cli = median(times.get(versionCommand));
        System.out.printf(Locale.ROOT, "%nbreakdown of plain java -jar kube-inject (medians): JVM boot+exit (java -version) %.3f s (%.0f%%), "
                        + "opening the jar + picocli + Main (version subcommand) +%.3f s (%.0f%%), kube-inject's own work +%.3f s (%.0f%%)%n",
                jvm, 100 * jvm / plainMedian, cli - jvm, 100 * (cli - jvm) / plainMedian, plainMedian - cli, 100 * (plainMedian - cli) / plainMedian);

        System.out.println("\nclasses loaded in one run (by where they came from) and JVM uptime when our Main and the last class loaded:");
        for (Variant v : List.of(variants.get(0), variants.get(7), variants.get(10), variants.get(11))) {
            classLoadReport(java, v, work);
        }

        if (Boolean.getBoolean("bench.keep")) {
            System.out.println("\nscratch directory kept: " + work);
        } else {
            deleteTree(work);
        }
    }

    private static void train(String java, Path jar, Path archive, List<String> command) throws IOException, InterruptedException {
        Run r = run(java, new Variant("training", List.of("-XX:ArchiveClassesAtExit=" + archive), jar, command), true);
        if (r.exit != 0 || !Files.isRegularFile(archive)) {
            throw new IllegalStateException("CDS training run failed: " + r.stderr);
        }
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

    private static List<String> commandLine(String java, Variant v, List<String> extraFlags) {
        List<String> cmd = new ArrayList<>();
        if (v.launcher != null) {
            cmd.add("/bin/sh");
            cmd.add(v.launcher.toString());
            cmd.addAll(v.command);
            return cmd;
        }
        cmd.add(v.javaHome == null ? java : v.javaHome.resolve("bin/java").toString());
        cmd.addAll(extraFlags);
        cmd.addAll(v.jvmFlags);
        if (v.jar != null) {
            cmd.add("-jar");
            cmd.add(v.jar.toString());
        }
        cmd.addAll(v.command);
        return cmd;
    }

    private static Run run(String java, Variant v, boolean capture) throws IOException, InterruptedException {
        return run(commandLine(java, v, List.of()), v.env, capture);
    }

    private static Run run(List<String> cmd, Map<String, String> env, boolean capture) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> e = pb.environment();
        // Options from the caller's environment would change every variant; the env variant sets its own.
        e.remove("JAVA_TOOL_OPTIONS");
        e.remove("JDK_JAVA_OPTIONS");
        e.remove("_JAVA_OPTIONS");
        e.putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        if (!capture) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            long t0 = System.nanoTime();
            Process p = pb.start();
            int exit = p.waitFor();
            return new Run(System.nanoTime() - t0, new byte[0], "", exit);
        }
        Path out = Files.createTempFile("kube-inject-out", ".yaml");
        Path err = Files.createTempFile("kube-inject-err", ".txt");
        try {
            pb.redirectOutput(out.toFile());
            pb.redirectError(err.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            int exit = p.waitFor();
            long t = System.nanoTime() - t0;
            return new Run(t, Files.readAllBytes(out), Files.readString(err), exit);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static final Pattern LOAD_LINE = Pattern.compile("^\\[(\\d+\\.\\d+)s\\] (\\S+) source: (.*)$");

    /** One run with -Xlog:class+load: where classes came from, and when Main and the last class loaded. */
    private static void classLoadReport(String java, Variant v, Path work) throws IOException, InterruptedException {
        Path log = work.resolve("class-load.log");
        Files.deleteIfExists(log);
        List<String> cmd = commandLine(java, v, List.of("-Xlog:class+load:file=" + log + ":uptime"));
        Run r = run(cmd, v.env, true);
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
            if (m.group(2).equals("io.sidecarinitializer.cli.Main")) {
                mainAt = at;
            }
            String source = m.group(3);
            String kind = source.startsWith("shared objects file (top)") ? "AppCDS archive"
                    : source.startsWith("shared objects file") ? "JDK CDS archive"
                    : source.startsWith("jrt:") ? "JDK modules (not archived)"
                    : source.startsWith("file:") || source.startsWith("jar:") ? "jar (not archived)" : "generated/other";
            bySource.merge(kind, 1, Integer::sum);
        }
        int total = bySource.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf(Locale.ROOT, "  %-26s %4d classes %s; Main at %.3f s, last class at %.3f s (this run's wall %.3f s)%n",
                v.name, total, bySource, mainAt, lastAt, r.nanos / 1e9);
        Files.deleteIfExists(log);
    }

    /** Entry names ({@code a/b/C.class}) of the classes one run loads from the jar. */
    private static Set<String> classesLoadedFromJar(String java, Variant v, Path work) throws IOException, InterruptedException {
        Path log = work.resolve("reference-class-load.log");
        Run r = run(commandLine(java, v, List.of("-Xlog:class+load:file=" + log + ":none")), v.env, true);
        if (r.exit != 0) {
            throw new IllegalStateException("kube-inject failed (exit " + r.exit + "): " + r.stderr);
        }
        Set<String> names = new TreeSet<>();
        Pattern line = Pattern.compile("^(\\S+) source: (?:file|jar):.*$");
        for (String l : Files.readAllLines(log)) {
            Matcher m = line.matcher(l);
            if (m.matches()) {
                names.add(m.group(1).replace('.', '/') + ".class");
            }
        }
        Files.deleteIfExists(log);
        return names;
    }

    private static Map<String, Long> byPackage(List<String> entries) {
        Map<String, Long> counts = new TreeMap<>();
        for (String e : entries) {
            String[] parts = e.split("/");
            counts.merge(String.join(".", Arrays.copyOf(parts, Math.min(3, parts.length - 1))), 1L, Long::sum);
        }
        return counts;
    }

    /** Copies the entries a kube-inject-only jar needs; the manifest stays the same. */
    private static int slimJar(Path from, Path to, Set<String> alsoLoaded) throws IOException {
        int count = 0;
        try (JarFile in = new JarFile(from.toFile()); OutputStream file = Files.newOutputStream(to);
             JarOutputStream out = new JarOutputStream(file)) {
            for (Enumeration<JarEntry> e = in.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                String name = entry.getName();
                if (SLIM_PREFIXES.stream().noneMatch(name::startsWith) && !alsoLoaded.contains(name)
                        && !(entry.isDirectory() && name.startsWith("META-INF"))) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                try (InputStream data = in.getInputStream(entry)) {
                    data.transferTo(out);
                }
                out.closeEntry();
                count++;
            }
        }
        return count;
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
