package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.testing.Trees;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue bullet 5: {@code kubectl get deploy -n X -o yaml | kube-inject -f - | kubectl apply -f -} against the real
 * server, exactly as a user types it (bash, pipefail, real kubectl, the jar). No controller runs meanwhile.
 */
@RealKubeApiServer
class KubeInjectPipeIT {
    private static final List<String> SAMPLES = List.of("manifests/samples/sleep.yaml", "manifests/samples/echo.yaml",
            "manifests/samples/no-inject.yaml");

    private static KubeEnvironment env;
    private static Kubectl kubectl;
    private static Manifests manifests;

    @BeforeAll
    static void setUp(KubeEnvironment environment) {
        env = environment;
        kubectl = env.kubectl();
        manifests = new Manifests(env.projectDir());
    }

    @Test
    void kubectlGetThroughKubeInjectIntoKubectlApplyInjectsTheLiveDeployments() {
        String namespace = samplesIn("pipe");
        Map<String, Map<String, Object>> before = deployments(namespace);
        SpecDecision.Policy defaults = SpecDecision.Policy.of(manifests.injectConfig()); // kube-inject's built-in defaults

        CommandResult pipe = pipeline(namespace);

        assertThat(pipe.exit()).as(pipe.describe()).isZero();
        Map<String, Map<String, Object>> after = deployments(namespace);
        assertThat(after.keySet()).isEqualTo(before.keySet()).contains("sleep", "echo", "busybox", "no-inject");
        for (Map.Entry<String, Map<String, Object>> d : before.entrySet()) {
            String name = d.getKey();
            SpecDecision decision = SpecDecision.of(defaults, namespace, d.getValue());
            Map<String, Object> live = after.get(name);
            if (decision.inject()) {
                Injection.assertInjected(d.getValue(), live, manifests.injectParam("proxyImage"), BuildInfo.version());
                assertThat(pipe.stderr()).contains("deployment/" + name + " (ns " + namespace + "): injected");
                assertThat(pipe.stdout()).contains("deployment.apps/" + name + " configured");
                assertThat(Trees.map(live, "spec", "template")).as("a new pod template").isNotEqualTo(Trees.map(d.getValue(), "spec", "template"));
            } else {
                Injection.assertNotInjected(d.getValue(), live);
                assertThat(pipe.stderr()).contains("deployment/" + name + " (ns " + namespace + "): skipped");
                // Not generation: apply rewrites last-applied-configuration, and a Deployment's generation follows its annotations.
                assertThat(Trees.map(live, "spec")).as("spec of %s untouched", name).isEqualTo(Trees.map(d.getValue(), "spec"));
            }
        }
        assertThat(before.values()).as("both outcomes covered")
                .anyMatch(d -> SpecDecision.of(defaults, namespace, d).inject())
                .anyMatch(d -> !SpecDecision.of(defaults, namespace, d).inject());
    }

    @Test
    void runningThePipelineAgainChangesNoWorkload() {
        String namespace = samplesIn("pipe-again");
        pipeline(namespace).assertOk();
        Map<String, Map<String, Object>> once = deployments(namespace);

        CommandResult again = pipeline(namespace).assertOk();

        Map<String, Map<String, Object>> twice = deployments(namespace);
        for (String name : once.keySet()) {
            assertThat(Trees.map(twice.get(name), "spec")).as("spec of %s", name).isEqualTo(Trees.map(once.get(name), "spec"));
            assertThat(Trees.annotation(twice.get(name), Trees.STATUS_ANNOTATION)).as("status annotation of %s", name)
                    .isEqualTo(Trees.annotation(once.get(name), Trees.STATUS_ANNOTATION));
        }
        assertThat(again.stderr()).contains("deployment/sleep (ns " + namespace + "): skipped: already injected");
    }

    private static String samplesIn(String prefix) {
        String namespace = env.freshNamespace(prefix);
        for (String file : SAMPLES) {
            kubectl.ok("apply", "-n", namespace, "-f", file);
        }
        return namespace;
    }

    private static CommandResult pipeline(String namespace) {
        String command = "set -o pipefail; kubectl get deploy -n " + namespace + " -o yaml"
                + " | '" + env.java() + "' -jar '" + env.jar() + "' kube-inject -f -"
                + " | kubectl apply -f -";
        return CommandResult.run(List.of("bash", "-c", command), kubectl.environment(), env.projectDir(), null, Duration.ofSeconds(120));
    }

    private static Map<String, Map<String, Object>> deployments(String namespace) {
        return Trees.list(kubectl.yaml("get", "deployments", "-n", namespace), "items").stream()
                .collect(Collectors.toMap(Trees::name, Function.identity()));
    }
}
