package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.BuildInfo;
import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue bullet 4: {@code kubectl patch} of the istio-inject ConfigMap changes the next injection without a
 * restart; a broken edit is reported and the last good config stays in force. In reconcile mode an edit reaches
 * existing workloads only at their next event or the 10-minute resync, so "the next injection" is shown with a
 * Deployment created after the edit.
 */
@RealKubeApiServer
class ConfigMapReloadIT {
    private static final Duration PROCESSING = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static KubeEnvironment env;
    private static Kubectl kubectl;
    private static Manifests manifests;
    private static ControllerProcess controller;
    private static String namespace;
    private static String version;

    @BeforeAll
    static void startTheController(KubeEnvironment environment) {
        env = environment;
        kubectl = env.kubectl();
        manifests = new Manifests(env.projectDir());
        env.applyReconcileManifests().assertOk(); // the shipped config, whatever an earlier class did to it
        version = manifests.injectParam("version") == null ? BuildInfo.version() : manifests.injectParam("version");
        namespace = env.freshNamespace("config");
        controller = env.startController("ConfigMapReloadIT-controller", List.of("--mode=reconcile",
                "--config-namespace=istio-system", "--leader-election=false", "--identity=e2e-config", "--log-format=text"))
                .awaitReady(Duration.ofSeconds(90));
    }

    @AfterAll
    static void restoreTheShippedConfig() {
        try {
            if (controller != null) {
                controller.close();
            }
        } finally {
            if (env != null) {
                env.applyReconcileManifests().assertOk();
            }
        }
    }

    @Test
    void aPatchedProxyImageIsUsedForTheNextInjectionWithoutARestart() {
        long pid = controller.pid();
        String shipped = manifests.injectParam("proxyImage");
        Map<String, Object> before = createDeployment("before-edit");
        Injection.assertInjected(before, awaitInjected("before-edit"), shipped, version);

        String edited = "registry.example/istio/proxy:e2e-" + suffix();
        patchConfig(manifests.injectConfig().replaceFirst("(?m)^(\\s*proxyImage:\\s*)\\S+", "$1" + edited));
        controller.awaitLog("proxyImage=" + edited + " ", PROCESSING);

        Map<String, Object> after = createDeployment("after-edit");
        Injection.assertInjected(after, awaitInjected("after-edit"), edited, version);
        // The workload injected before the edit keeps its sidecar (already injected), and nothing restarted.
        assertThat(Trees.string(Trees.container(Trees.podTemplate(kubectl.yaml("get", "deployment", "before-edit", "-n", namespace)),
                "istio-proxy"), "image")).isEqualTo(shipped);
        controller.assertAlive();
        assertThat(controller.pid()).isEqualTo(pid);
        assertThat(controller.log().lines().filter(l -> l.contains("Starting the sidecar controller"))).hasSize(1);
    }

    @Test
    void aBrokenEditIsReportedAndTheLastGoodConfigStaysInForce() throws Exception {
        long pid = controller.pid();
        String good = "registry.example/istio/proxy:good-" + suffix();
        String shipped = manifests.injectConfig();
        String goodConfig = shipped.replaceFirst("(?m)^(\\s*proxyImage:\\s*)\\S+", "$1" + good);
        patchConfig(goodConfig);
        controller.awaitLog("proxyImage=" + good + " ", PROCESSING);

        // A typo in the policy, together with a new image that must not take effect either.
        String bad = "registry.example/istio/proxy:bad-" + suffix();
        String brokenConfig = goodConfig.replaceFirst("(?m)^(\\s*proxyImage:\\s*)\\S+", "$1" + bad)
                .replaceFirst("(?m)^(\\s*policy:\\s*)\\S+", "$1sometimes");
        assertThat(brokenConfig).contains("policy: sometimes").contains(bad);
        String brokenVersion = Trees.string(patchConfig(brokenConfig), "metadata", "resourceVersion");

        Map<String, Object> warning = Poll.value("a Warning Event on ConfigMap istio-system/istio-inject for resourceVersion "
                + brokenVersion, PROCESSING, () -> Events.about(Events.ours(kubectl, "istio-system"), "ConfigMap", "istio-inject").stream()
                .filter(e -> brokenVersion.equals(Trees.string(e, "involvedObject", "resourceVersion")))
                .findFirst().orElse(null));
        assertThat(Trees.string(warning, "type")).isEqualTo("Warning");
        assertThat(Trees.string(warning, "reason")).isEqualTo("InvalidConfig");
        assertThat(Trees.string(warning, "message")).contains("policy").contains("sometimes")
                .contains("the last good configuration stays in force");
        assertThat(controller.log()).contains("Invalid ConfigMap istio-system/istio-inject (data.config field policy)");
        var readyz = controller.readyz();
        assertThat(readyz.statusCode()).as("still ready: a bad edit must not take the controller down").isEqualTo(200);
        assertThat(readyz.body()).contains("config problem");

        Map<String, Object> created = createDeployment("after-broken-edit");
        Injection.assertInjected(created, awaitInjected("after-broken-edit"), good, version);
        controller.assertAlive();
        assertThat(controller.pid()).isEqualTo(pid);
    }

    /** {@code kubectl patch configmap istio-inject} with a new {@code config} document; returns the patched ConfigMap. */
    private static Map<String, Object> patchConfig(String config) {
        try {
            String patch = JSON.writeValueAsString(Map.of("data", Map.of("config", config)));
            return kubectl.json("patch", "configmap", "istio-inject", "-n", "istio-system", "--type=merge", "-p", patch);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code kubectl create deployment}, returning the object as created (before any injection). */
    private static Map<String, Object> createDeployment(String name) {
        return kubectl.yaml("create", "deployment", name, "--image=nginx:1.25", "-n", namespace);
    }

    private static Map<String, Object> awaitInjected(String name) {
        return Poll.value("deployment " + namespace + "/" + name + " to be injected", PROCESSING, () -> {
            controller.assertAlive();
            Map<String, Object> live = kubectl.yaml("get", "deployment", name, "-n", namespace);
            return Trees.annotation(live, Trees.STATUS_ANNOTATION) != null ? live : null;
        });
    }

    private static String suffix() {
        return Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36);
    }
}
