package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.cli.Main;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kube-inject's command line is built without annotations; users must not be able to tell. The help text and the
 * usage errors below are what the annotated command printed (release 0.1.0).
 */
class KubeInjectCommandLineTest {
    private static final Path USAGE = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/kube-inject-usage");

    @Test
    void helpIsTheOptionTableAsTheAnnotatedCommandPrintedIt() throws Exception {
        String expected = Files.readString(USAGE.resolve("help.txt"));

        for (String flag : List.of("--help", "-h")) {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", flag);

            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).as(flag).isEqualTo(expected);
            assertThat(run.err()).isEmpty();
        }
    }

    @Test
    void versionNamesThisBuildAndItsIstioRelease() {
        for (String flag : List.of("--version", "-V")) {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", flag);

            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).isEqualTo("sidecar-initializer " + BuildInfo.version() + " (istio " + BuildInfo.istioVersion() + ")\n");
        }
    }

    static Stream<Arguments> usageErrors() {
        return Stream.of(
                Arguments.of(List.of(), "Missing required option: '--filename=FILE|-|DIR'"),
                Arguments.of(List.of("-f"), "Missing required parameter for option '--filename' (FILE|-|DIR)"),
                Arguments.of(List.of("-f", "a", "-f", "b"), "option '--filename' (FILE|-|DIR) should be specified only once"),
                Arguments.of(List.of("-f", "-", "--bogus"), "Unknown option: '--bogus'"),
                Arguments.of(List.of("-f", "-", "extra"), "Unmatched argument at index 3: 'extra'"),
                Arguments.of(List.of("-f", "-", "--imagePullPolicy=Sometimes"),
                        "Invalid value for option '--imagePullPolicy': expected one of [Always, IfNotPresent, Never] (case-sensitive) but was 'Sometimes'"),
                Arguments.of(List.of("-f", "-", "--verbosity=x"), "Invalid value for option '--verbosity': 'x' is not an int"),
                Arguments.of(List.of("-f", "-", "--sidecarProxyUID=abc"), "Invalid value for option '--sidecarProxyUID': 'abc' is not a long"));
    }

    @ParameterizedTest(name = "kube-inject {0}")
    @MethodSource("usageErrors")
    void aUsageErrorSaysWhatIsWrongThenTheUsageAndExits2(List<String> args, String message) throws Exception {
        List<String> command = new ArrayList<>(List.of("kube-inject"));
        command.addAll(args);

        KubeInjectRun run = KubeInjectRun.run(command.toArray(String[]::new));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        String synopsis = Files.readString(USAGE.resolve("help.txt")).lines().findFirst().orElseThrow();
        assertThat(run.err().lines().limit(2)).containsExactly(message, synopsis);
    }

    /** Annotations are read through proxies (AnnotationInvocationHandler); a run that reads none makes none. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("entryPoints")
    void aRunMakesNoAnnotationProxy(String entry, List<String> mainAndArgs) throws Exception {
        Path sample = Path.of(System.getProperty("basedir", ".")).resolve("manifests/samples/echo.yaml").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load:stdout", "-cp", System.getProperty("java.class.path")));
        command.addAll(mainAndArgs);
        command.addAll(List.of("-f", sample.toString(), "-q"));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        List<String> loaded = new String(p.getInputStream().readAllBytes()).lines().filter(l -> l.contains("[class,load]")).toList();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).isZero();
        assertThat(loaded).as("classes loaded").anyMatch(l -> l.contains(" io.sidecarinitializer.kubeinject.KubeInjectCommandLine "));
        assertThat(loaded).noneMatch(l -> l.contains("AnnotationInvocationHandler") || l.contains(" jdk.proxy"));
    }

    static Stream<Arguments> entryPoints() {
        return Stream.of(
                Arguments.of("kube-inject.jar's KubeInjectMain", List.of(KubeInjectMain.class.getName())),
                Arguments.of("sidecar-initializer kube-inject", List.of(Main.class.getName(), "kube-inject")));
    }
}
