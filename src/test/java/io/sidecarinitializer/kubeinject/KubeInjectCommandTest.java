package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.inject.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** SPEC §6 through the real command line: inputs, outputs, summary lines, flags, config files and bad input. */
class KubeInjectCommandTest {
    static final String HELLO = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: hello
            spec:
              selector:
                matchLabels:
                  app: hello
              template:
                metadata:
                  labels:
                    app: hello
                spec:
                  containers:
                  - name: hello
                    image: nginx
            """;
    private static final String SERVICE = """
            apiVersion: v1
            kind: Service
            metadata:
              name: hello
            spec:
              ports:
              - port: 80
            """;

    @TempDir
    Path tmp;

    private Path file(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    private String injectHello(String... flags) throws IOException {
        String[] args = Stream.concat(Stream.of("-f", file("hello.yaml", HELLO).toString(), "-q"), Stream.of(flags))
                .toArray(String[]::new);
        return KubeInjectRun.injected(args);
    }

    @Nested
    class Inputs {
        @Test
        void injectsAFileAndWritesTheResultToStdout() throws IOException {
            Path in = file("hello.yaml", SERVICE + "---\n" + HELLO);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).startsWith(SERVICE + "---\n");
            assertThat(InjectedPod.in(run.out()).names("containers")).containsExactly("hello", "istio-proxy");
            assertThat(run.err()).isEqualTo("deployment/hello (ns default): injected\n");
        }

        @Test
        void crlfInputKeepsUntouchedDocumentsByteForByteAndWritesInjectedOnesWithLf() throws IOException {
            String service = SERVICE.replace("\n", "\r\n");
            Path in = file("crlf.yaml", service + "---\r\n" + HELLO.replace("\n", "\r\n"));

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "-q");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).startsWith(service + "---\n");
            assertThat(run.out().substring(service.length())).doesNotContain("\r");
            assertThat(InjectedPod.in(run.out()).names("containers")).containsExactly("hello", "istio-proxy");
        }

        @Test
        void readsStdinWhenTheFileIsADash() {
            KubeInjectRun run = KubeInjectRun.withStdin(HELLO, "kube-inject", "-f", "-");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(InjectedPod.in(run.out()).names("initContainers")).containsExactly("istio-init");
        }

        @Test
        void readsEveryManifestBelowADirectorySortedAndJoinedWithSeparators() throws IOException {
            String a = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n";
            String b = "apiVersion: v1\nkind: Service\nmetadata:\n  name: b"; // no final newline
            String c = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}\n";
            file("dir/sub/c.json", c);
            file("dir/b.yaml", b);
            file("dir/a.yml", a);
            file("dir/notes.txt", "kind: Deployment\n");
            file("dir/README.md", "# not a manifest\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", tmp.resolve("dir").toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).isEqualTo(a + "---\n" + b + "\n---\n" + c);
        }

        @Test
        void injectsWorkloadsInEveryFileOfADirectory() throws IOException {
            file("dir/one.yaml", HELLO);
            file("dir/two.yaml", HELLO.replace("hello", "world"));

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", tmp.resolve("dir").toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err()).isEqualTo("deployment/hello (ns default): injected\ndeployment/world (ns default): injected\n");
            assertThat(run.out().split("(?m)^---$")).hasSize(2).allSatisfy(doc -> assertThat(doc).contains("istio-proxy"));
        }

        @Test
        void aDirectoryWithoutManifestsIsAnError() throws IOException {
            file("dir/notes.txt", "nothing\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", tmp.resolve("dir").toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("dir").contains("no .yaml, .yml or .json files");
        }

        @Test
        void aMissingFileIsBadInput() {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", tmp.resolve("nope.yaml").toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("nope.yaml");
        }

        @Test
        void writesTheOutputFileInsteadOfStdout() throws IOException {
            Path out = tmp.resolve("out.yaml");
            String expected = injectHello();

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", tmp.resolve("hello.yaml").toString(), "-o", out.toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).isEmpty();
            assertThat(out).hasContent(expected);
            assertThat(tmp).isDirectoryNotContaining(p -> p.getFileName().toString().endsWith(".tmp"));
        }
    }

    @Nested
    class Summary {
        @Test
        void namesEachWorkloadItsNamespaceAndTheReason() throws IOException {
            Path in = file("many.yaml", HELLO
                    + "---\n" + HELLO.replace("metadata:\n  name: hello\n", "metadata:\n  name: legacy\n  namespace: shop\n  annotations:\n    sidecar.istio.io/inject: \"false\"\n")
                    + "---\n" + HELLO.replace("kind: Deployment", "kind: StatefulSet").replace("metadata:\n  name: hello\n", "metadata:\n  name: db\n  namespace: kube-system\n")
                    + "---\n" + SERVICE);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err().lines()).containsExactly(
                    "deployment/hello (ns default): injected",
                    "deployment/legacy (ns shop): skipped: " + Reason.ANNOTATION_DISABLED.description(),
                    "statefulset/db (ns kube-system): skipped: " + Reason.SYSTEM_NAMESPACE.description());
        }

        @Test
        void readsTheAnnotationFromThePodTemplateWhereIstiosDocsPutIt() throws IOException {
            String optedOut = HELLO.replace("  template:\n    metadata:\n",
                    "  template:\n    metadata:\n      annotations:\n        sidecar.istio.io/inject: \"false\"\n");
            Path in = file("opted-out.yaml", optedOut);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err()).isEqualTo("deployment/hello (ns default): skipped: " + Reason.TEMPLATE_ANNOTATION_DISABLED.description() + "\n");
            assertThat(run.out()).isEqualTo(optedOut);
        }

        @Test
        void namespaceFlagIsAssumedForObjectsThatNameNone() throws IOException {
            Path in = file("hello.yaml", HELLO);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "-n", "istio-system");

            assertThat(run.exitCode()).isZero();
            assertThat(run.err()).isEqualTo("deployment/hello (ns istio-system): skipped: " + Reason.SYSTEM_NAMESPACE.description() + "\n");
            assertThat(run.out()).isEqualTo(HELLO);
        }

        @Test
        void quietPrintsNoSummaryButStillInjects() throws IOException {
            Path in = file("hello.yaml", HELLO);

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "--quiet");

            assertThat(run.exitCode()).isZero();
            assertThat(run.err()).isEmpty();
            assertThat(run.out()).contains("istio-proxy");
        }
    }

    @Nested
    class Flags {
        @Test
        void hubAndTagNameBothImages() throws IOException {
            InjectedPod pod = InjectedPod.in(injectHello("--hub", "registry.example/istio", "--tag", "1.2.3"));

            assertThat(pod.initContainer("istio-init")).containsEntry("image", "registry.example/istio/proxy_init:1.2.3");
            assertThat(pod.container("istio-proxy")).containsEntry("image", "registry.example/istio/proxy:1.2.3");
        }

        @Test
        void hubAndTagWithDebugNameTheDebugProxyImage() throws IOException {
            InjectedPod pod = InjectedPod.in(injectHello("--hub", "registry.example/istio", "--tag", "1.2.3", "--debug"));

            assertThat(pod.initContainer("istio-init")).containsEntry("image", "registry.example/istio/proxy_init:1.2.3");
            assertThat(pod.container("istio-proxy")).containsEntry("image", "registry.example/istio/proxy_debug:1.2.3");
        }

        @Test
        void tagAloneKeepsTheDefaultHubAndHubAloneKeepsTheDefaultTag() throws IOException {
            InjectedPod tagOnly = InjectedPod.in(injectHello("--tag", "9.9.9"));
            InjectedPod hubOnly = InjectedPod.in(injectHello("--hub", "registry.example/istio"));

            assertThat(tagOnly.container("istio-proxy")).containsEntry("image", "docker.io/istio/proxy:9.9.9");
            assertThat(hubOnly.container("istio-proxy")).containsEntry("image", "registry.example/istio/proxy:" + BuildInfo.istioVersion());
        }

        static Stream<Arguments> overrides() {
            return Stream.of(
                    Arguments.of("--verbosity=5", (Consumer<InjectedPod>) pod -> assertThat(pod.proxyFlag("-v")).isEqualTo("5")),
                    Arguments.of("--verbosity=0", (Consumer<InjectedPod>) pod -> assertThat(pod.proxyArgs()).doesNotContain("-v")),
                    Arguments.of("--sidecarProxyUID=2000", (Consumer<InjectedPod>) pod -> {
                        assertThat(pod.initArgs()).containsSequence("-u", "2000");
                        assertThat(pod.securityContext("istio-proxy")).containsEntry("runAsUser", 2000);
                    }),
                    Arguments.of("--setVersionString=1.2.3-custom", (Consumer<InjectedPod>) pod ->
                            assertThat(pod.status()).startsWith("{\"version\":\"1.2.3-custom\",")),
                    Arguments.of("--includeIPRanges=10.0.0.0/8, 192.168.0.0/16", (Consumer<InjectedPod>) pod ->
                            assertThat(pod.initArgs()).endsWith("-i", "10.0.0.0/8,192.168.0.0/16")),
                    Arguments.of("--coreDump", (Consumer<InjectedPod>) pod -> {
                        assertThat(pod.names("initContainers")).containsExactly("istio-init", "enable-core-dump");
                        assertThat(pod.initContainer("enable-core-dump")).containsEntry("image", "alpine");
                    }),
                    Arguments.of("--imagePullPolicy=Never", (Consumer<InjectedPod>) pod -> {
                        assertThat(pod.initContainer("istio-init")).containsEntry("imagePullPolicy", "Never");
                        assertThat(pod.container("istio-proxy")).containsEntry("imagePullPolicy", "Never");
                    }),
                    Arguments.of("--debug", (Consumer<InjectedPod>) pod -> assertThat(pod.securityContext("istio-proxy"))
                            .containsEntry("privileged", true).containsEntry("readOnlyRootFilesystem", false)));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("overrides")
        void eachOverrideFlagLandsInTheOutput(String flag, Consumer<InjectedPod> check) throws IOException {
            check.accept(InjectedPod.in(injectHello(flag)));
        }

        @Test
        void withoutFlagsTheDefaultsApply() throws IOException {
            InjectedPod pod = InjectedPod.in(injectHello());

            assertThat(pod.proxyFlag("-v")).isEqualTo("2");
            assertThat(pod.initArgs()).containsExactly("-p", "15001", "-u", "1337");
            assertThat(pod.status()).startsWith("{\"version\":\"" + BuildInfo.version() + "\",");
            assertThat(pod.container("istio-proxy")).containsEntry("imagePullPolicy", "IfNotPresent");
            assertThat(pod.securityContext("istio-proxy")).containsEntry("privileged", false).containsEntry("readOnlyRootFilesystem", true);
        }

        @Test
        void aBadFlagValueIsReportedUnderTheFlagsName() throws IOException {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "--includeIPRanges=10.0.0.0/33");

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("--includeIPRanges").contains("'10.0.0.0/33'");
            assertThat(run.out()).isEmpty();
        }
    }

    @Nested
    class ConfigFiles {
        @Test
        void injectConfigFileSetsPolicyAndParams() throws IOException {
            Path config = file("config.yaml", "policy: enabled\nparams:\n  verbosity: 4\n  imagePullPolicy: Always\n  sidecarProxyUID: 1500\n");

            InjectedPod pod = InjectedPod.in(injectHello("--injectConfigFile", config.toString()));

            assertThat(pod.proxyFlag("-v")).isEqualTo("4");
            assertThat(pod.container("istio-proxy")).containsEntry("imagePullPolicy", "Always");
            assertThat(pod.initArgs()).containsSequence("-u", "1500");
        }

        @Test
        void injectConfigFileMayBeTheWholeConfigMap() throws IOException {
            Path configMap = file("istio-inject.yaml", """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: istio-inject
                      namespace: istio-system
                    data:
                      config: |-
                        policy: "enabled"
                        namespaces: [""] # everything, aka v1.NamespaceAll
                        params:
                          initImage: registry.example/proxy_init:7
                          proxyImage: registry.example/proxy:7
                          verbosity: 3
                    """);

            InjectedPod pod = InjectedPod.in(injectHello("--injectConfigFile", configMap.toString()));

            assertThat(pod.initContainer("istio-init")).containsEntry("image", "registry.example/proxy_init:7");
            assertThat(pod.container("istio-proxy")).containsEntry("image", "registry.example/proxy:7");
            assertThat(pod.proxyFlag("-v")).isEqualTo("3");
        }

        @Test
        void policyFromTheConfigFileDecides() throws IOException {
            Path off = file("off.yaml", "policy: off\n"); // unquoted: YAML 1.1 reads it as false
            Path disabled = file("disabled.yaml", "policy: disabled\n");
            Path hello = file("hello.yaml", HELLO);

            KubeInjectRun offRun = KubeInjectRun.run("kube-inject", "-f", hello.toString(), "--injectConfigFile", off.toString());
            KubeInjectRun disabledRun = KubeInjectRun.run("kube-inject", "-f", hello.toString(), "--injectConfigFile", disabled.toString());

            assertThat(offRun.exitCode()).as(offRun.err()).isZero();
            assertThat(offRun.out()).isEqualTo(HELLO);
            assertThat(offRun.err()).isEqualTo("deployment/hello (ns default): skipped: " + Reason.POLICY_OFF.description() + "\n");
            assertThat(disabledRun.out()).isEqualTo(HELLO);
            assertThat(disabledRun.err()).endsWith("skipped: " + Reason.POLICY_DISABLED.description() + "\n");
        }

        @Test
        void meshConfigFileSetsThePortsAndDurations() throws IOException {
            Path mesh = file("mesh.yaml", "proxyListenPort: 15002\ndefaultConfig:\n  drainDuration: 90s\n  connectTimeout: 0.25s\n");

            InjectedPod pod = InjectedPod.in(injectHello("--meshConfigFile", mesh.toString()));

            assertThat(pod.initArgs()).containsSequence("-p", "15002");
            assertThat(pod.proxyFlag("--drainDuration")).isEqualTo("1m30s");
            assertThat(pod.proxyFlag("--connectTimeout")).isEqualTo("250ms");
            assertThat(pod.proxyFlag("--parentShutdownDuration")).isEqualTo("3s");
        }

        @Test
        void meshConfigFileMayBeTheWholeConfigMap() throws IOException {
            Path mesh = file("istio.yaml", """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: istio
                      namespace: istio-system
                    data:
                      mesh: |-
                        proxyListenPort: 15009
                        ingressClass: istio
                        defaultConfig:
                          discoveryAddress: pilot.example:15003
                    """);

            InjectedPod pod = InjectedPod.in(injectHello("--meshConfigFile", mesh.toString()));

            assertThat(pod.initArgs()).containsSequence("-p", "15009");
            assertThat(pod.proxyFlag("--discoveryAddress")).isEqualTo("pilot.example:15003");
        }

        @Test
        void flagsOverrideTheConfigFile() throws IOException {
            Path config = file("config.yaml", """
                    params:
                      initImage: registry.example/proxy_init:7
                      proxyImage: registry.example/proxy:7
                      verbosity: 4
                      imagePullPolicy: Always
                      enableCoreDump: true
                      includeIPRanges: 10.0.0.0/8
                    """);

            InjectedPod pod = InjectedPod.in(injectHello("--injectConfigFile", config.toString(), "--verbosity=7",
                    "--imagePullPolicy=Never", "--hub=flag.example", "--tag=8", "--includeIPRanges=192.168.0.0/16"));

            assertThat(pod.proxyFlag("-v")).isEqualTo("7");
            assertThat(pod.container("istio-proxy")).containsEntry("imagePullPolicy", "Never").containsEntry("image", "flag.example/proxy:8");
            assertThat(pod.initContainer("istio-init")).containsEntry("image", "flag.example/proxy_init:8");
            assertThat(pod.initArgs()).endsWith("-i", "192.168.0.0/16");
            assertThat(pod.names("initContainers")).as("a setting no flag names stays").contains("enable-core-dump");
        }

        @Test
        void aBadInjectConfigFileIsReportedWithFileAndField() throws IOException {
            Path config = file("config.yaml", "params:\n  imagePullPolicy: Sometimes\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "--injectConfigFile", config.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains(config.toString())
                    .contains("params.imagePullPolicy: 'Sometimes' is not one of Always, IfNotPresent, Never");
            assertThat(run.out()).isEmpty();
        }

        @Test
        void aBadMeshConfigFileIsReportedWithFileAndField() throws IOException {
            Path mesh = file("mesh.yaml", "defaultConfig:\n  drainDuration: soon\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "--meshConfigFile", mesh.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains(mesh.toString()).contains("defaultConfig.drainDuration").contains("'soon'");
        }

        @Test
        void aConfigMapWithoutTheConfigKeyIsAnError() throws IOException {
            Path configMap = file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-inject\ndata:\n  other: x\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "--injectConfigFile", configMap.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("cm.yaml").contains("data.config");
        }
    }

    @Nested
    class BadInput {
        @Test
        void brokenYamlNamesTheFileTheDocumentAndTheLine() throws IOException {
            Path in = file("broken.yaml", SERVICE + "---\n" + """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata:
                      name: b
                       bad: indent
                    """);
            int badLine = SERVICE.split("\n").length + 1 + 5;

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("broken.yaml").contains("document 2").contains("line " + badLine + ",");
            assertThat(run.out()).isEmpty();
        }

        @Test
        void duplicateKeysAreBrokenYaml() throws IOException {
            Path in = file("dup.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("dup.yaml").contains("document 1").contains("duplicate key");
        }

        @Test
        void brokenJsonIsBadInput() throws IOException {
            Path in = file("broken.json", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": }\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("broken.json").contains("line 3").contains("JSON");
        }

        @Test
        void containersThatAreNotAListAreReportedByField() throws IOException {
            Path in = file("bad.yaml", HELLO.replace("      containers:\n      - name: hello\n        image: nginx\n", "      containers: nginx\n"));
            assertThat(GoldenCase.read(in)).contains("containers: nginx");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("bad.yaml").contains("document 1").contains("deployment/hello")
                    .contains("spec.template.spec.containers");
        }

        @Test
        void aSidecarNameAlreadyTakenIsReportedByField() throws IOException {
            Path in = file("taken.yaml", HELLO + "      volumes:\n      - name: istio-certs\n        emptyDir: {}\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("spec.template.spec.volumes").contains("istio-certs");
        }

        @Test
        void badInputCreatesNoOutputFile() throws IOException {
            Path in = file("broken.yaml", HELLO + "---\nkey: [unclosed\n");
            Path out = tmp.resolve("out.yaml");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "-o", out.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(out).doesNotExist();
            try (Stream<Path> left = Files.list(tmp)) {
                assertThat(left.map(p -> p.getFileName().toString())).containsExactly("broken.yaml");
            }
        }

        @Test
        void badInputLeavesAnExistingOutputFileUntouched() throws IOException {
            Path in = file("broken.yaml", HELLO + "---\nkey: [unclosed\n");
            Path out = file("out.yaml", "previous: content\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", in.toString(), "-o", out.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(out).hasContent("previous: content");
        }

        @Test
        void badConfigCreatesNoOutputFile() throws IOException {
            Path out = tmp.resolve("out.yaml");
            Path config = file("config.yaml", "policy: sometimes\n");

            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "-o", out.toString(),
                    "--injectConfigFile", config.toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("policy");
            assertThat(out).doesNotExist();
        }
    }

    @Nested
    class Usage {
        @Test
        void anUnknownFlagIsAUsageError() throws IOException {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", file("hello.yaml", HELLO).toString(), "--no-such-flag");

            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("--no-such-flag");
            assertThat(run.out()).isEmpty();
        }

        @Test
        void aMissingInputIsAUsageError() {
            KubeInjectRun run = KubeInjectRun.run("kube-inject");

            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("-f");
        }

        @Test
        void anUnknownPullPolicyFlagIsAUsageError() {
            KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", "-", "--imagePullPolicy=Sometimes");

            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("Sometimes");
        }
    }

    /** kubectl get deploy -o yaml | kube-inject -f - | kubectl apply -f - : a List in, a List out. */
    @Test
    void kubectlGetOutputRoundTripsThroughStdin() {
        String list = GoldenCase.named("kubectl-list").inputText();

        KubeInjectRun run = KubeInjectRun.withStdin(list, "kube-inject", "-f", "-", "--setVersionString=" + GoldenCase.VERSION);

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(GoldenCase.named("kubectl-list").expectedOutput());
        assertThat(run.err().lines()).containsExactly(
                "deployment/hello (ns default): injected",
                "deployment/coredns-like (ns kube-system): skipped: " + Reason.SYSTEM_NAMESPACE.description());
    }
}
