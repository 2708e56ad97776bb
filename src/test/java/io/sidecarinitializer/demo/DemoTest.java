package io.sidecarinitializer.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.inject.Reason;
import io.sidecarinitializer.yaml.KubeYaml;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo's core run in-process: every sample ends up initialized, injected or skipped as SPEC §3 says for
 * the default configuration (policy enabled, all namespaces; namespace default is no system namespace).
 */
class DemoTest {
    /** One expected outcome, with the SPEC §3 rule that decides it. */
    record Expected(String display, boolean injected, Reason reason, List<String> pendingAfter) {}

    private static final List<Expected> EXPECTED = List.of(
            // Rule 6: no annotation, policy enabled -> inject; rules 7 and 8 do not apply.
            new Expected("deployment/service-one", true, Reason.POLICY_ENABLED, List.of()),
            new Expected("deployment/service-two", true, Reason.POLICY_ENABLED, List.of()),
            new Expected("cronjob/curl-every-5m", true, Reason.POLICY_ENABLED, List.of()),
            new Expected("daemonset/node-echo", true, Reason.POLICY_ENABLED, List.of()),
            // Rule 7: hostNetwork: true vetoes the injection.
            new Expected("daemonset/node-agent", false, Reason.HOST_NETWORK, List.of()),
            new Expected("deployment/echo", true, Reason.POLICY_ENABLED, List.of()),
            new Expected("deployment/busybox", true, Reason.POLICY_ENABLED, List.of()),
            new Expected("job/curl-once", true, Reason.POLICY_ENABLED, List.of()),
            // Rule 5: sidecar.istio.io/inject: "false" on the workload skips it.
            new Expected("deployment/no-inject", false, Reason.ANNOTATION_DISABLED, List.of()),
            // SPEC §5: we remove only our own entry; the initializer after ours stays pending.
            new Expected("deployment/sleep", true, Reason.POLICY_ENABLED, List.of(Demo.OTHER)),
            new Expected("statefulset/web", true, Reason.POLICY_ENABLED, List.of()));

    private static List<Demo.Result> results;
    private static String progress;

    @BeforeAll
    static void runDemo() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        results = Demo.run(Path.of("."), Duration.ofSeconds(30), new PrintStream(out, true, StandardCharsets.UTF_8));
        progress = out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void coversEveryWorkloadOfTheSamplesAndNothingElse() {
        assertThat(results).extracting(r -> r.sample().display())
                .containsExactlyInAnyOrderElementsOf(EXPECTED.stream().map(Expected::display).toList());
        assertThat(progress).contains("initializer mode");
    }

    @Test
    void initializesEachSampleAsTheDecisionRulesSay() {
        for (Expected e : EXPECTED) {
            Demo.Result r = result(e.display());
            assertThat(r.pending()).as("pending initializers of %s", e.display()).isEqualTo(e.pendingAfter());
            assertThat(r.event()).as("Event about %s", e.display()).isEqualTo(e.injected() ? "Injected" : "Skipped");
            assertThat(r.reason()).as("reason for %s", e.display()).isEqualTo(e.reason());
            assertThat(containers(r.object(), "containers").contains("istio-proxy")).as("istio-proxy in %s", e.display())
                    .isEqualTo(e.injected());
            assertThat(containers(r.object(), "initContainers").contains("istio-init")).as("istio-init in %s", e.display())
                    .isEqualTo(e.injected());
            assertThat(annotations(r.object()).containsKey("sidecar.istio.io/status")).as("status annotation on %s", e.display())
                    .isEqualTo(e.injected());
            assertThat(r.millis()).isNotNegative();
        }
    }

    @Test
    void keepsTheWorkloadsOwnContainersFirst() {
        assertThat(containers(result("deployment/echo").object(), "containers")).containsExactly("echo", "istio-proxy");
        assertThat(containers(result("cronjob/curl-every-5m").object(), "containers")).containsExactly("curl", "istio-proxy");
        assertThat(containers(result("daemonset/node-agent").object(), "containers")).containsExactly("agent");
    }

    @Test
    void certificatesComeFromThePodsServiceAccount() {
        // SPEC §4: istio-certs is the secret istio.<serviceAccountName, or default>.
        assertThat(certSecret(result("statefulset/web").object())).isEqualTo("istio.web");
        assertThat(certSecret(result("deployment/echo").object())).isEqualTo("istio.default");
    }

    @Test
    void printsObjectsAsKubectlDoesWithSortedKeysThatReadBackTheSame() {
        Demo.Result r = result("deployment/sleep");
        String yaml = Demo.kubectlYaml(r.object());

        assertThat(yaml).startsWith("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n");
        // Same content as the object itself written out (YAML reads 2 back as an Integer where the client had a Long).
        KubeYaml kubeYaml = new KubeYaml();
        assertThat(kubeYaml.load(yaml)).isEqualTo(kubeYaml.load(kubeYaml.dump(r.object())));
    }

    private static Demo.Result result(String display) {
        return results.stream().filter(r -> r.sample().display().equals(display)).findFirst()
                .orElseThrow(() -> new AssertionError("no result for " + display));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> podSpec(Map<String, Object> object) {
        Map<String, Object> spec = (Map<String, Object>) object.get("spec");
        if ("CronJob".equals(object.get("kind"))) {
            spec = (Map<String, Object>) ((Map<String, Object>) spec.get("jobTemplate")).get("spec");
        }
        return (Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec");
    }

    private static List<String> containers(Map<String, Object> object, String list) {
        List<String> names = new ArrayList<>();
        if (podSpec(object).get(list) instanceof List<?> items) {
            items.forEach(i -> names.add(String.valueOf(((Map<?, ?>) i).get("name"))));
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> annotations(Map<String, Object> object) {
        Object a = ((Map<String, Object>) object.get("metadata")).get("annotations");
        return a == null ? Map.of() : (Map<String, Object>) a;
    }

    private static String certSecret(Map<String, Object> object) {
        for (Object v : (List<?>) podSpec(object).get("volumes")) {
            if ("istio-certs".equals(((Map<?, ?>) v).get("name"))) {
                return String.valueOf(((Map<?, ?>) ((Map<?, ?>) v).get("secret")).get("secretName"));
            }
        }
        return null;
    }
}
