package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admission webhook on the real kube-apiserver (SPEC §7), installed with the manifests' RBAC, namespaceSelector
 * and failurePolicy, and run as its Deployment runs it (its ServiceAccount's token, no certificate files: its own CA)
 * but on loopback: its MutatingWebhookConfiguration calls {@code https://127.0.0.1:PORT/inject} (a {@code url}
 * clientConfig) instead of the Service, since no kubelet runs the Deployment's pods.
 */
@RealKubeApiServer
class WebhookIT {
    private static final Duration PROCESSING = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIGURATION = LoopbackWebhookConfiguration.NAME;
    private static final String CERT_SECRET = LoopbackWebhookConfiguration.CERT_SECRET;
    private static final String LABEL = LoopbackWebhookConfiguration.LABEL;

    private static KubeEnvironment env;
    private static Kubectl kubectl;
    private static Manifests manifests;
    private static Pods pods;
    private static int port;
    private static ControllerProcess webhook;
    /** A namespace labeled for injection, shared by the tests that need no fresh one. */
    private static String labeled;

    @BeforeAll
    static void installAndStartTheWebhook(KubeEnvironment environment) throws Exception {
        env = environment;
        kubectl = env.kubectl();
        manifests = new Manifests(env.projectDir());
        pods = new Pods(kubectl);
        env.applyManifests().assertOk();
        kubectl.ok("delete", "secret", CERT_SECRET, "-n", "istio-system", "--ignore-not-found");
        port = ControllerProcess.freePort();
        LoopbackWebhookConfiguration.register(env, port);
        webhook = startWebhook("WebhookIT-webhook");
        labeled = LoopbackWebhookConfiguration.labeledNamespace(env, pods, "webhook");
    }

    @AfterAll
    static void restoreTheInstall() {
        try {
            if (webhook != null) {
                webhook.close();
            }
        } finally {
            if (env != null) {
                LoopbackWebhookConfiguration.restore(env);
            }
        }
    }

    @Test
    void seed003StepByStep() {
        // Steps 1 and 2: a pod in a namespace without the label has only its own container.
        String namespace = env.freshNamespace("test");
        pods.awaitServiceAccount(namespace);
        kubectl.ok("run", "nginx", "--image=nginx", "-n", namespace);
        Map<String, Object> before = pods.get(namespace, "nginx");
        Pods.assertNotInjected(before, List.of("nginx"));

        // Step 3: label the namespace; the existing pod is not changed.
        kubectl.ok("label", "namespace", namespace, LABEL);
        assertThat(Trees.map(kubectl.json("get", "namespace", namespace), "metadata", "labels")).containsEntry("istio-injection", "enabled");
        Map<String, Object> existing = pods.get(namespace, "nginx");
        Pods.assertNotInjected(existing, List.of("nginx"));
        assertThat(Trees.string(existing, "metadata", "resourceVersion")).isEqualTo(Trees.string(before, "metadata", "resourceVersion"));

        // Step 4: delete and recreate it: the new pod has the sidecar.
        Map<String, Object> recreated = Poll.value("a recreated nginx pod to be injected", PROCESSING, () -> {
            kubectl.ok("delete", "pod", "nginx", "-n", namespace, "--wait=true");
            kubectl.ok("run", "nginx", "--image=nginx", "-n", namespace);
            Map<String, Object> pod = pods.get(namespace, "nginx");
            // The API server reads namespace labels from its informer: a label milliseconds old may not be seen yet.
            return Pods.injected(pod) ? pod : null;
        });
        Pods.assertInjected(recreated, List.of("nginx"), manifests.injectParam("proxyImage"));
        assertThat(Trees.containerNames(Map.of("spec", Trees.map(recreated, "spec")))).containsExactly("nginx", "istio-proxy");
    }

    @Test
    void aDeploymentsPodsAreInjectedAndTheDeploymentIsLeftAsItIs() {
        Map<String, Object> deployment = kubectl.json("create", "deployment", "web", "--image=" + Pods.IMAGE, "--replicas=2", "-n", labeled);

        List<Map<String, Object>> created = Poll.value("2 pods of deployment " + labeled + "/web", PROCESSING, () -> {
            List<Map<String, Object>> items = Trees.list(kubectl.json("get", "pods", "-n", labeled, "-l", "app=web"), "items");
            return items.size() == 2 ? items : null;
        });
        for (Map<String, Object> pod : created) {
            // Made by a ReplicaSet: only generateName, and no namespace in the object the webhook was sent.
            assertThat(Trees.name(pod)).startsWith("web-");
            Pods.assertInjected(pod, List.of(Trees.string(Trees.list(deployment, "spec", "template", "spec", "containers").get(0), "name")),
                    manifests.injectParam("proxyImage"));
        }
        Injection.assertNotInjected(deployment, kubectl.json("get", "deployment", "web", "-n", labeled));
    }

    @Test
    void annotationFalseIsNotInjectedAndAnnotationTrueWinsOverPolicyDisabled() {
        Map<String, Object> optedOut = pods.create(labeled, "opted-out", Map.of(Trees.INJECT_ANNOTATION, "false"), false);
        Pods.assertNotInjected(optedOut, List.of("app"));

        String shipped = manifests.injectConfig();
        try {
            patchConfig(shipped.replaceFirst("(?m)^(\\s*policy:\\s*)\\S+", "$1disabled"));
            // Policy disabled: a pod without the annotation is no longer injected (once the edit has been read)...
            Map<String, Object> plain = Poll.value("policy disabled to be in force", PROCESSING, () -> {
                Map<String, Object> pod = pods.create(labeled, "plain-" + suffix());
                return Pods.injected(pod) ? null : pod;
            });
            Pods.assertNotInjected(plain, List.of("app"));
            // ...and one that asks for it with the annotation is.
            Map<String, Object> optedIn = pods.create(labeled, "opted-in", Map.of(Trees.INJECT_ANNOTATION, "true"), false);
            Pods.assertInjected(optedIn, List.of("app"), manifests.injectParam("proxyImage"));
        } finally {
            restoreConfigMaps();
        }
    }

    @Test
    void hostNetworkPodsAndALabeledKubeSystemAreNotInjected() throws Exception {
        Map<String, Object> hostNetwork = pods.create(labeled, "host-network", Map.of(), true);
        Pods.assertNotInjected(hostNetwork, List.of("app"));
        // The same pod without hostNetwork is injected: the namespace and webhook are working.
        Pods.assertInjected(pods.create(labeled, "pod-network"), List.of("app"), manifests.injectParam("proxyImage"));

        kubectl.ok("label", "namespace", "kube-system", LABEL, "--overwrite");
        try {
            pods.awaitServiceAccount("kube-system");
            String name = "sleep-" + suffix();
            double before = skippedAsSystemNamespace();
            Map<String, Object> system = pods.create("kube-system", name, Map.of(Trees.INJECT_ANNOTATION, "true"), false);
            Pods.assertNotInjected(system, List.of("app"));
            // Before 1.21 the selector cannot tell kube-system apart (no kubernetes.io/metadata.name label), so the
            // API server asks, and the webhook's own system-namespace rule (SPEC §3) is what says no.
            if (env.webhookManifests().equals("manifests/k8s-1.16-1.20/")) {
                assertThat(skippedAsSystemNamespace()).isEqualTo(before + 1);
            }
            kubectl.ok("delete", "pod", name, "-n", "kube-system", "--wait=false");
        } finally {
            kubectl.ok("label", "namespace", "kube-system", "istio-injection-");
        }
    }

    @Test
    void aConfigMapEditReachesTheNextPodWithoutARestart() {
        long pid = webhook.pid();
        String edited = "registry.example/istio/proxy:e2e-" + suffix();
        try {
            patchConfig(manifests.injectConfig().replaceFirst("(?m)^(\\s*proxyImage:\\s*)\\S+", "$1" + edited));
            Map<String, Object> next = Poll.value("a pod with proxy image " + edited, PROCESSING, () -> {
                Map<String, Object> pod = pods.create(labeled, "edited-" + suffix());
                return edited.equals(Trees.string(Trees.container(Map.of("spec", Trees.map(pod, "spec")), "istio-proxy"), "image")) ? pod : null;
            });
            Pods.assertInjected(next, List.of("app"), edited);
            webhook.assertAlive();
            assertThat(webhook.pid()).isEqualTo(pid);
        } finally {
            restoreConfigMaps();
        }
    }

    @Test
    void withTheWebhookStoppedPodsAreStillCreated() throws Exception {
        webhook.close();
        try {
            // failurePolicy: Ignore: the API server cannot connect, and creates the pod as it was sent.
            Map<String, Object> pod = pods.create(labeled, "webhook-down");
            Pods.assertNotInjected(pod, List.of("app"));
        } finally {
            webhook = startWebhook("WebhookIT-webhook-restarted");
        }
        // Back on the same port with the same certificate (kept in the Secret): injection resumes.
        Pods.assertInjected(pods.create(labeled, "webhook-back"), List.of("app"), manifests.injectParam("proxyImage"));
    }

    @Test
    void withNoCertificateFilesItKeepsItsOwnInASecretAndWritesTheCaBundle() throws Exception {
        Map<String, Object> secret = kubectl.json("get", "secret", CERT_SECRET, "-n", "istio-system");
        Map<String, Object> data = Trees.map(secret, "data");
        assertThat(data).as("data of Secret istio-system/%s", CERT_SECRET).containsKeys("tls.crt", "tls.key");
        String caBundle = Trees.string(Trees.list(kubectl.json("get", "mutatingwebhookconfiguration", CONFIGURATION), "webhooks").get(0),
                "clientConfig", "caBundle");
        String ca = new String(Base64.getDecoder().decode(caBundle), StandardCharsets.UTF_8);
        assertThat(ca).startsWith("-----BEGIN CERTIFICATE-----");
        // The CA written to the configuration is the one kept in the Secret, so every replica serves a chain it trusts.
        assertThat(data.values().stream().map(v -> new String(Base64.getDecoder().decode((String) v), StandardCharsets.UTF_8)))
                .anySatisfy(value -> assertThat(value).contains(ca.strip()));

        // The API server trusts it: its call succeeds and the pod is injected.
        Pods.assertInjected(pods.create(labeled, "trusted"), List.of("app"), manifests.injectParam("proxyImage"));
        // All of it with the manifests' RBAC and nothing more.
        Kubectl asWebhook = env.kubectlAsWebhook();
        assertThat(asWebhook.canI("update", "secret/" + CERT_SECRET, "-n", "istio-system")).isTrue();
        assertThat(asWebhook.canI("get", "secrets", "-n", "kube-system")).isFalse();
        assertThat(asWebhook.canI("patch", "mutatingwebhookconfigurations/" + CONFIGURATION)).isTrue();
        assertThat(asWebhook.canI("patch", "mutatingwebhookconfigurations/someone-else")).isFalse();
        assertThat(asWebhook.canI("list", "pods", "--all-namespaces")).isFalse();
        assertThat(webhook.log()).as("webhook log %s", webhook.logFile()).doesNotContainIgnoringCase("forbidden");
    }

    /** The webhook as manifests/webhook/deployment.yaml runs it (no certificate files), serving on loopback. */
    private static ControllerProcess startWebhook(String label) {
        ControllerProcess started = env.startWebhook(label, List.of("--port=" + port, "--config-namespace=istio-system",
                "--config-map=istio-inject", "--log-format=json", "--namespace=istio-system", "--service-name=sidecar-injector",
                "--cert-secret=" + CERT_SECRET, "--webhook-config=" + CONFIGURATION, "--tls-san=127.0.0.1"));
        started.awaitReady(Duration.ofSeconds(90));
        LoopbackWebhookConfiguration.awaitCaBundle(kubectl, started::assertAlive);
        return started;
    }

    private static final Pattern SYSTEM_NAMESPACE_SKIPS = Pattern.compile(
            "(?m)^sidecar_admission_requests_total\\{(?=[^}]*reason=\"system_namespace\")(?=[^}]*result=\"skipped\")[^}]*\\} (\\S+)$");

    /** {@code sidecar_admission_requests_total{result="skipped",reason="system_namespace"}} on the webhook's /metrics (0 before the first). */
    private static double skippedAsSystemNamespace() throws Exception {
        Matcher m = SYSTEM_NAMESPACE_SKIPS.matcher(webhook.get("/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static void patchConfig(String config) {
        try {
            kubectl.ok("patch", "configmap", "istio-inject", "-n", "istio-system", "--type=merge", "-p",
                    JSON.writeValueAsString(Map.of("data", Map.of("config", config))));
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    /** The shipped ConfigMaps again (not the whole install: our configuration was not applied). */
    private static void restoreConfigMaps() {
        kubectl.ok("apply", "-k", "manifests/base/");
        Poll.until("the shipped config to be in force again", PROCESSING, () -> {
            Map<String, Object> pod = pods.create(labeled, "restored-" + suffix());
            return Pods.injected(pod) && manifests.injectParam("proxyImage")
                    .equals(Trees.string(Trees.container(Map.of("spec", Trees.map(pod, "spec")), "istio-proxy"), "image"));
        });
    }

    private static String suffix() {
        return Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
    }
}
