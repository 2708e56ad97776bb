package io.sidecarinitializer.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.inject.Reason;
import io.sidecarinitializer.yaml.KubeYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** manifests/samples: what kube-inject does with each, and that each still applies to a modern cluster. */
class SampleManifestsTest {
    private static final Path SAMPLES = Path.of(System.getProperty("basedir", ".")).resolve("manifests/samples");

    static Stream<Arguments> samples() {
        String injected = ": injected";
        return Stream.of(
                Arguments.of("apps.yaml", List.of("deployment/service-one (ns default)" + injected, "deployment/service-two (ns default)" + injected)),
                Arguments.of("cronjob.yaml", List.of("cronjob/curl-every-5m (ns default)" + injected)),
                Arguments.of("daemonset.yaml", List.of("daemonset/node-echo (ns default)" + injected,
                        "daemonset/node-agent (ns default): skipped: " + Reason.HOST_NETWORK.description())),
                Arguments.of("echo.yaml", List.of("deployment/echo (ns default)" + injected, "deployment/busybox (ns default)" + injected)),
                Arguments.of("job.yaml", List.of("job/curl-once (ns default)" + injected)),
                Arguments.of("no-inject.yaml", List.of("deployment/no-inject (ns default): skipped: " + Reason.ANNOTATION_DISABLED.description())),
                Arguments.of("sleep.yaml", List.of("deployment/sleep (ns default)" + injected)),
                Arguments.of("statefulset.yaml", List.of("statefulset/web (ns default)" + injected)));
    }

    @Test
    void everySampleIsListedHere() throws IOException {
        try (Stream<Path> files = Files.list(SAMPLES)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .containsExactlyElementsOf(samples().map(a -> (String) a.get()[0]).sorted().toList());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void kubeInjectReportsEveryWorkloadOfTheSample(String sample, List<String> summary) {
        KubeInjectRun run = KubeInjectRun.run("kube-inject", "-f", SAMPLES.resolve(sample).toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err().lines()).containsExactlyElementsOf(summary);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    @SuppressWarnings("unchecked")
    void eachSampleSaysWhatItShowsAndUsesApiVersionsAModernClusterServes(String sample, List<String> summary) throws IOException {
        String text = Files.readString(SAMPLES.resolve(sample));
        assertThat(text.lines().findFirst()).hasValueSatisfying(first -> assertThat(first).startsWith("# "));

        for (Object doc : new KubeYaml().loadAll(text)) {
            Map<String, Object> object = (Map<String, Object>) doc;
            assertThat((String) object.get("apiVersion")).as("%s in %s", object.get("kind"), sample).isIn("v1", "apps/v1", "batch/v1");
            Map<String, Object> spec = (Map<String, Object>) object.get("spec");
            if ("apps/v1".equals(object.get("apiVersion"))) {
                Map<String, Object> matchLabels = (Map<String, Object>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
                Map<String, Object> labels = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) spec.get("template"))
                        .get("metadata")).get("labels");
                assertThat(labels).as("template labels of %s must match its selector", sample).containsAllEntriesOf(matchLabels);
            }
        }
    }

    @Test
    void theStatefulSetsProxyGetsTheCertificatesOfItsServiceAccount() {
        String out = KubeInjectRun.injected("-f", SAMPLES.resolve("statefulset.yaml").toString(), "-q");

        assertThat(InjectedPod.in(out).volume("istio-certs")).isEqualTo(Map.of("name", "istio-certs",
                "secret", Map.of("secretName", "istio.web", "optional", true)));
    }

    @Test
    void theSleepSampleIsTheSeedsSleepService() throws IOException {
        InjectedPod pod = InjectedPod.in(KubeInjectRun.injected("-f", SAMPLES.resolve("sleep.yaml").toString(), "-q"));

        assertThat(pod.container("sleep")).containsEntry("image", "tutum/curl").containsEntry("command", List.of("/bin/sleep", "infinity"));
        assertThat(pod.proxyFlag("--serviceCluster")).isEqualTo("sleep");
    }
}
