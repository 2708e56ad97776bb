package io.sidecarinitializer.kubeinject;

import static io.sidecarinitializer.testing.Bytes.concat;
import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.yaml.KubeYaml;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: what kube-inject writes means to kubectl what its input meant, bytes it does not inject come out
 * unchanged, and every failure (bad field, bad bytes, a write that fails) exits 1 with a message naming the place.
 */
class KubeInjectFaithfulnessTest {
    /** The Deployment of KubeInjectCommandTest with a label and env values that YAML 1.1 readers may misread. */
    private static final String HELLO = KubeInjectCommandTest.HELLO
            .replaceFirst("  name: hello\n", "  name: hello\n  labels:\n    legacy: \"n\"\n")
            .replace("        image: nginx\n", """
                    image: nginx
                    env:
                    - name: AT
                      value: 22:30
                    - name: MODE
                      value: "0o17"
                    - name: COLOR
                      value: "\\e[31m"
            """);

    @TempDir
    Path tmp;

    private Path file(String name, String text) throws IOException {
        return file(name, text.getBytes(StandardCharsets.UTF_8));
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path f = tmp.resolve(name);
        Files.createDirectories(f.getParent());
        Files.write(f, bytes);
        return f;
    }

    @Nested
    class Meaning {
        @Test
        void stringsThatLookLikeOtherTypesStayStringsThroughAnInjection() throws IOException {
            String out = KubeInjectRun.injected("-f", file("hello.yaml", HELLO).toString(), "-q");

            Map<?, ?> tree = (Map<?, ?>) new KubeYaml().load(out);
            assertThat(InjectedPod.in(out).names("containers")).containsExactly("hello", "istio-proxy");
            assertThat(out).contains("legacy: 'n'").contains("value: '0o17'").contains("value: '22:30'")
                    .doesNotContain("!!binary").doesNotContain("1350");
            assertThat(((Map<?, ?>) ((Map<?, ?>) tree.get("metadata")).get("labels")).get("legacy")).isEqualTo("n");
            assertThat(out).contains("value: \"\\e[31m\"");
        }

        @Test
        void aPaddedTrueAnnotationSkips() throws IOException {
            String padded = HELLO.replace("  labels:\n    legacy: \"n\"\n", "  annotations:\n    sidecar.istio.io/inject: \" true \"\n");
            Path in = file("padded.yaml", padded);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err()).contains("skipped");
            assertThat(run.out()).isEqualTo(padded);
        }
    }

    @Nested
    class Bytes {
        private final byte[] latin1Secret = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\ndata:\n  motto: caf\u00e9\n")
                .getBytes(StandardCharsets.ISO_8859_1);

        @Test
        void aDocumentWeDoNotInjectKeepsBytesThatAreNotUtf8() throws IOException {
            byte[] input = concat(latin1Secret, "---\n".getBytes(StandardCharsets.UTF_8), HELLO.getBytes(StandardCharsets.UTF_8));

            KubeInjectRun fromStdin = KubeInjectRun.withStdin(input, "kube-inject", "-f", "-", "-q");
            KubeInjectRun fromFile = KubeInjectRun.run("kube-inject", "-f", file("mixed.yaml", input).toString(), "-q");

            for (KubeInjectRun run : List.of(fromStdin, fromFile)) {
                assertThat(run.exitCode()).as(run.err()).isZero();
                assertThat(startsWith(run.outBytes(), latin1Secret)).isTrue();
                assertThat(run.out()).contains("istio-proxy");
            }
        }

        @Test
        void bytesThatAreNotUtf8InADocumentToInjectAreAnErrorNamingFileDocumentAndLine() throws IOException {
            byte[] input = concat("# intro\n---\n".getBytes(StandardCharsets.UTF_8),
                    HELLO.replace("image: nginx", "image: nginx # caf\u00e9").getBytes(StandardCharsets.ISO_8859_1));
            Path in = file("latin1.yaml", input);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).startsWith("kube-inject: " + in + ": document 2, line 20: ").contains("not UTF-8").doesNotContain("injected");
            assertThat(run.out()).isEmpty();
        }

        @Test
        void jsonWithAByteOrderMarkStaysJson() throws IOException {
            String json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}]}}";
            Path in = file("bom.json", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, json.getBytes(StandardCharsets.UTF_8)));

            String out = KubeInjectRun.injected("-f", in.toString(), "-q");

            assertThat(out).startsWith("{").contains("\"istio-proxy\"");
        }

        @Test
        void aCustomResourceDefinitionNestedAThousandLevelsDeepPassesThrough() throws IOException {
            StringBuilder schema = new StringBuilder("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: deep\nspec:\n");
            for (int i = 1; i <= 1000; i++) {
                schema.append("  ".repeat(i)).append("properties:\n");
            }
            Path in = file("deep.yaml", schema + "---\n" + HELLO);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "-q");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).startsWith(schema + "---\n").contains("istio-proxy");
        }

        @Test
        void aStreamOfJsonObjectsInjectsEachInItsPlace() throws IOException {
            String service = "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}}";
            String pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}]}}";
            Path in = file("stream.json", service + "\n" + pod + "\n" + service + "\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err()).isEqualTo("pod/p (ns default): injected\n");
            assertThat(run.out()).startsWith(service + "\n{\n").endsWith("}\n" + service + "\n").contains("\"istio-proxy\"");
        }

        @Test
        void jsonDuplicateKeysAreAnErrorAsInYaml() throws IOException {
            Path in = file("dup.json", "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\n\"kind\":\"Service\"}");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("dup.json: document 1, line 2").contains("kind");
        }
    }

    @Nested
    class WrongTypes {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {
            "hostNetwork|      containers:|      hostNetwork: \"true\"\n      containers:|11|spec.template.spec.hostNetwork",
            "containers null|      containers:\n      - name: hello\n        image: nginx\n|      containers: null\n|11|spec.template.spec.containers",
            "no name|  name: hello\n|  labels: {a: b}\n|3|metadata.name",
            "no metadata|metadata:\n  name: hello\n||1|metadata",
            "namespace 7|  name: hello\n|  name: hello\n  namespace: 7\n|5|metadata.namespace"})
        void aWorkloadFieldOfTheWrongTypeIsAnErrorNamingFileDocumentLineAndField(String row) throws IOException {
            String[] c = row.split("\\|", -1);
            String base = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\nspec:\n  selector:\n    matchLabels: {app: hello}\n"
                    + "  template:\n    metadata: {labels: {app: hello}}\n    spec:\n      containers:\n      - name: hello\n        image: nginx\n";
            String broken = base.replace(c[1], c[2]);
            assertThat(broken).as("case %s applies", c[0]).isNotEqualTo(base);
            Path in = file("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\n" + broken);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
            assertThat(run.err()).startsWith("kube-inject: " + in + ": document 2, line " + (5 + Integer.parseInt(c[3])) + ": ")
                    .contains(c[4]);
            assertThat(run.out()).isEmpty();
        }

        @Test
        void emptyHubOrTagIsRefused() throws IOException {
            Path in = file("hello.yaml", HELLO);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "--hub", "", "--tag", "");

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).isEqualTo("kube-inject: --hub: must not be empty\n");
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"namespaces: [null]", "params: {sidecarProxyUID: \"1337\"}", "policy: Enabled", "params: []"})
        void aConfigFieldOfTheWrongTypeIsAnErrorNamingTheConfigFile(String config) throws IOException {
            Path cfg = file("inject-config.yaml", config + "\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "--injectConfigFile", cfg.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).startsWith("kube-inject: " + cfg + ": " + config.substring(0, config.indexOf(':')));
        }
    }

    @Nested
    class Messages {
        @Test
        void aMissingConfigFileIsNotFoundUnderItsFlag() throws IOException {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(),
                    "--injectConfigFile", tmp.resolve("nope.yaml").toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).isEqualTo("kube-inject: --injectConfigFile " + tmp.resolve("nope.yaml") + ": not found\n");
        }

        @Test
        @EnabledOnOs(OS.LINUX)
        void anUnreadableSubdirectoryIsOneLine() throws IOException {
            file("dir/a.yaml", HELLO);
            Path locked = Files.createDirectories(tmp.resolve("dir/locked"));
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
            try {
                org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(locked), "running as root: every directory is readable");

                KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", tmp.resolve("dir").toString());

                assertThat(run.exitCode()).isEqualTo(1);
                assertThat(run.err()).isEqualTo("kube-inject: " + locked + ": cannot read directory: permission denied\n");
            } finally {
                Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
            }
        }

        @Test
        void theSummaryNamesNothingWhenALaterDocumentFails() throws IOException {
            Path in = file("two.yaml", HELLO + "---\nkind: [\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).doesNotContain("injected").contains("document 2");
            assertThat(run.out()).isEmpty();
        }
    }

    @Nested
    class OutputFiles {
        @Test
        void anExistingFileKeepsItsModeAndANewOneGetsTheUmasks() throws IOException {
            Path in = file("hello.yaml", HELLO);
            Path existing = file("existing.yaml", "old\n");
            Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-r-----"));
            Path fresh = tmp.resolve("fresh.yaml");

            assertThat(KubeInjectRun.run("kube-inject", "-f", in.toString(), "-o", existing.toString(), "-q").exitCode()).isZero();
            assertThat(KubeInjectRun.run("kube-inject", "-f", in.toString(), "-o", fresh.toString(), "-q").exitCode()).isZero();

            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(existing))).isEqualTo("rw-r-----");
            assertThat(Files.readString(existing)).contains("istio-proxy");
            Path probe = Files.createFile(tmp.resolve("probe")); // created as any program creates a file, under this umask
            assertThat(Files.getPosixFilePermissions(fresh)).isEqualTo(Files.getPosixFilePermissions(probe));
            assertThat(tmpFiles()).isEmpty();
        }

        @Test
        void aSymlinkIsFollowedAndItsTargetWritten() throws IOException {
            Path in = file("hello.yaml", HELLO);
            Path target = file("real/target.yaml", "old\n");
            Path link = Files.createSymbolicLink(tmp.resolve("link.yaml"), Path.of("real/target.yaml"));

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "-o", link.toString(), "-q");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(Files.isSymbolicLink(link)).isTrue();
            assertThat(Files.readString(target)).contains("istio-proxy");
            assertThat(tmpFiles()).isEmpty();
        }

        @Test
        @EnabledOnOs(OS.LINUX)
        void aSpecialFileIsWrittenDirectly() throws IOException, InterruptedException {
            Path fifo = tmp.resolve("fifo");
            assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
            Path in = file("hello.yaml", HELLO);
            Process cat = new ProcessBuilder("cat", fifo.toString()).start();

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "-o", fifo.toString(), "-q");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("istio-proxy");
            assertThat(Files.isRegularFile(fifo)).isFalse();
            assertThat(KubeInjectRun.run("kube-inject", "-f", in.toString(), "-o", "/dev/null", "-q").exitCode()).isZero();
        }

        @Test
        @EnabledOnOs(OS.LINUX)
        void aFullDeviceIsAnErrorNamingIt() throws IOException {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "-o", "/dev/full");

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).isEqualTo("kube-inject: cannot write /dev/full: no space left on device\n");
        }

        @Test
        void anUnwritableDirectoryLeavesNothingBehind() throws IOException {
            Path out = tmp.resolve("missing/dir/out.yaml");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "-o", out.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).isEqualTo("kube-inject: cannot write " + out + ": no such file or directory\n");
        }

        @Test
        void badInputLeavesTheOutputFileAsItWas() throws IOException {
            Path existing = file("existing.yaml", "old\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("bad.yaml", HELLO + "---\nkind: [\n").toString(), "-o", existing.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(Files.readString(existing)).isEqualTo("old\n");
            assertThat(tmpFiles()).isEmpty();
        }

        private List<Path> tmpFiles() throws IOException {
            try (Stream<Path> files = Files.walk(tmp)) {
                return files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
            }
        }
    }

    /** Stdout as the JVM really has it (a file descriptor), in a child process. */
    @Nested
    @EnabledOnOs(OS.LINUX)
    class Stdout {
        private ProcessBuilder kubeInject(Path in) {
            return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), KubeInjectMain.class.getName(), "-f", in.toString(), "-q");
        }

        @Test
        void aFullDiskIsAnError() throws Exception {
            Process p = kubeInject(file("hello.yaml", HELLO)).redirectOutput(new File("/dev/full")).start();

            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("kube-inject: cannot write to stdout: no space left on device\n");
        }

        @Test
        void aClosedStdinIsSaidSo() throws Exception {
            String command = String.join(" ", kubeInject(file("hello.yaml", HELLO)).command()).replace("-f " + tmp.resolve("hello.yaml"), "-f -");
            Process p = new ProcessBuilder("sh", "-c", "exec " + command + " <&-").start();

            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).startsWith("kube-inject: <stdin>: closed");
        }

        @Test
        void aClosedPipeIsAnError() throws Exception {
            Process p = kubeInject(file("hello.yaml", HELLO)).start();
            p.getInputStream().close(); // the reader went away, as `kube-inject ... | head -c0` does

            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("kube-inject: cannot write to stdout: broken pipe\n");
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && java.util.Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}
