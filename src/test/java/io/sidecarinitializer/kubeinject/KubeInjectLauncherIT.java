package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code target/kube-inject}, the launcher users run: with its class cache (a static AppCDS archive before JDK 25, an
 * AOT cache from 25 on) it prints exactly what {@code java -jar sidecar-initializer.jar kube-inject} prints, writes the
 * cache on its first successful run and uses it after; on its own kube-inject.jar by default, or on the whole jar that
 * {@code SIDECAR_INITIALIZER_JAR} names. Runs on the JDK running the tests and on JDK 25
 * ({@code -Dkube-inject.jdk25}, by default where this machine has it), when present.
 */
class KubeInjectLauncherIT {
    private static final Path JAR = Path.of("target/sidecar-initializer.jar").toAbsolutePath();
    private static final Path LAUNCHER = Path.of("target/kube-inject").toAbsolutePath();
    private static final Path SAMPLE = Path.of("manifests/samples/echo.yaml").toAbsolutePath();

    private record Run(int exit, byte[] stdout, String stderr) {}

    static Stream<Arguments> jdksAndJars() {
        return jdks().flatMap(jdk -> Stream.of(Arguments.of(jdk, "kube-inject.jar (default)"), Arguments.of(jdk, JAR.toString())));
    }

    static Stream<String> jdks() {
        List<String> homes = new ArrayList<>(List.of(System.getProperty("java.home")));
        homes.add(System.getProperty("kube-inject.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        return homes.stream().distinct();
    }

    @ParameterizedTest(name = "JAVA_HOME={0}, {1}")
    @MethodSource("jdksAndJars")
    void printsWhatJavaJarPrintsAndWritesItsCacheOnTheFirstRun(String javaHome, String jar, @TempDir Path cache) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(javaHome, "bin", "java")), javaHome + " is not a JDK here");
        Run plain = run(List.of(javaHome + "/bin/java", "-jar", JAR.toString(), "kube-inject", "-f", SAMPLE.toString()), Map.of());
        assertThat(plain.exit()).as(plain.stderr()).isZero();
        Map<String, String> env = jar.equals(JAR.toString())
                ? Map.of("JAVA_HOME", javaHome, "XDG_CACHE_HOME", cache.toString(), "SIDECAR_INITIALIZER_JAR", jar)
                : Map.of("JAVA_HOME", javaHome, "XDG_CACHE_HOME", cache.toString());

        Run first = run(List.of("/bin/sh", LAUNCHER.toString(), "-f", SAMPLE.toString()), env);
        List<Path> written = cacheFiles(cache);
        Run second = run(List.of("/bin/sh", LAUNCHER.toString(), "-f", SAMPLE.toString()), env);

        for (Run r : List.of(first, second)) {
            assertThat(r.exit()).isZero();
            assertThat(r.stdout()).isEqualTo(plain.stdout());
            assertThat(r.stderr()).isEqualTo(plain.stderr());
        }
        String expected = feature(javaHome) >= 25 ? ".aot" : ".jsa";
        assertThat(written).singleElement().satisfies(p -> assertThat(p.toString()).endsWith(expected));
        assertThat(cacheFiles(cache)).isEqualTo(written);

        Path classLoads = cache.resolve("class-load.log");
        Map<String, String> logged = new HashMap<>(env);
        logged.put("KUBE_INJECT_JAVA_OPTS", "-Xlog:class+load:file=" + classLoads);
        assertThat(run(List.of("/bin/sh", LAUNCHER.toString(), "-f", SAMPLE.toString()), logged).exit()).isZero();
        assertThat(Files.readAllLines(classLoads)).as("kube-inject's classes come from the cache")
                .filteredOn(l -> l.contains(" io.sidecarinitializer.kubeinject.KubeInjectMain ") || l.contains(" picocli.CommandLine "))
                .hasSize(2).allMatch(l -> l.contains("source: shared objects file"));
    }

    /** Without JAVA_HOME the launcher finds the JDK of the java on the PATH, through its symlinks, for the cache's kind. */
    @ParameterizedTest(name = "PATH={0}/bin")
    @MethodSource("jdks")
    void withoutJavaHomeTheJavaOnThePathDecides(String javaHome, @TempDir Path cache) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(javaHome, "bin", "java")), javaHome + " is not a JDK here");
        Path bin = Files.createDirectories(cache.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("java"), Path.of(javaHome, "bin", "java"));
        Run plain = run(List.of(javaHome + "/bin/java", "-jar", JAR.toString(), "kube-inject", "-f", SAMPLE.toString()), Map.of());

        Run launched = run(List.of("/bin/sh", LAUNCHER.toString(), "-f", SAMPLE.toString()),
                Map.of("PATH", bin + ":/usr/bin:/bin", "XDG_CACHE_HOME", cache.toString()));

        assertThat(launched.exit()).as(launched.stderr()).isZero();
        assertThat(launched.stdout()).isEqualTo(plain.stdout());
        String expected = feature(javaHome) >= 25 ? ".aot" : ".jsa";
        assertThat(cacheFiles(cache)).singleElement().satisfies(p -> assertThat(p.toString()).endsWith(expected));
    }

    @ParameterizedTest(name = "JAVA_HOME={0}")
    @MethodSource("jdks")
    void aFailingFirstRunFailsAsJavaJarDoes(String javaHome, @TempDir Path cache) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(javaHome, "bin", "java")), javaHome + " is not a JDK here");
        Path bad = Files.writeString(cache.resolve("bad.yaml"), "kind: [\n");
        Run plain = run(List.of(javaHome + "/bin/java", "-jar", JAR.toString(), "kube-inject", "-f", bad.toString()), Map.of());
        Map<String, String> env = Map.of("JAVA_HOME", javaHome, "XDG_CACHE_HOME", cache.resolve("c").toString());

        Run launched = run(List.of("/bin/sh", LAUNCHER.toString(), "-f", bad.toString()), env);

        assertThat(plain.exit()).isEqualTo(1);
        assertThat(launched.exit()).isEqualTo(1);
        assertThat(launched.stdout()).isEmpty();
        assertThat(launched.stderr()).isEqualTo(plain.stderr());
        assertThat(cacheFiles(cache.resolve("c"))).as("no cache from a failed run").isEmpty();
    }

    private static int feature(String javaHome) throws IOException {
        for (String line : Files.readAllLines(Path.of(javaHome, "release"))) {
            if (line.startsWith("JAVA_VERSION=\"")) {
                return Integer.parseInt(line.substring(14).split("[.\"]")[0]);
            }
        }
        throw new IllegalStateException(javaHome + "/release names no JAVA_VERSION");
    }

    private static List<Path> cacheFiles(Path cache) throws IOException {
        Path dir = cache.resolve("sidecar-initializer");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    private static Run run(List<String> command, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile("launcher", ".out");
        Path err = Files.createTempFile("launcher", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().remove("JAVA_TOOL_OPTIONS");
            pb.environment().remove("KUBE_INJECT_JAVA_OPTS");
            pb.environment().remove("KUBE_INJECT_CDS");
            pb.environment().remove("SIDECAR_INITIALIZER_JAR");
            pb.environment().remove("JAVA_HOME");
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new Run(p.exitValue(), Files.readAllBytes(out), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
