package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Poll;
import io.sidecarinitializer.testing.Trees;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The manifests' MutatingWebhookConfiguration, calling a webhook the test runs on loopback: a {@code url} clientConfig
 * {@code https://127.0.0.1:PORT/inject} instead of the Service, since no kubelet runs the Deployment's pods. The
 * webhook, with no certificate files, writes its own CA into it.
 */
final class LoopbackWebhookConfiguration {
    static final String NAME = "sidecar-injector";
    static final String CERT_SECRET = "sidecar-injector-certs";
    static final String LABEL = "istio-injection=enabled";
    private static final Duration PROCESSING = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private LoopbackWebhookConfiguration() {}

    /** Replaces the installed configuration by the loopback one: created, not applied, so the webhook patches its caBundle as it would the installed one. */
    static void register(KubeEnvironment env, int port) throws JsonProcessingException {
        Kubectl kubectl = env.kubectl();
        Map<String, Object> configuration = Manifests.documents(kubectl.ok("kustomize", env.webhookManifests())).stream()
                .filter(d -> "MutatingWebhookConfiguration".equals(Trees.kind(d))).findFirst().orElseThrow();
        List<Map<String, Object>> webhooks = new ArrayList<>();
        for (Map<String, Object> w : Trees.list(configuration, "webhooks")) {
            Map<String, Object> copy = new LinkedHashMap<>(w);
            copy.put("clientConfig", Map.of("url", "https://127.0.0.1:" + port + "/inject"));
            webhooks.add(copy);
        }
        Map<String, Object> loopback = new LinkedHashMap<>(configuration);
        loopback.put("webhooks", webhooks);
        kubectl.ok("delete", "mutatingwebhookconfiguration", NAME, "--ignore-not-found");
        kubectl.okWithInput(JSON.writeValueAsString(loopback), "create", "-f", "-");
    }

    /** Waits for the webhook to write its CA into the configuration; {@code alive} fails at once if it has stopped. */
    static void awaitCaBundle(Kubectl kubectl, Runnable alive) {
        Poll.until("the webhook to write its CA into MutatingWebhookConfiguration " + NAME, PROCESSING, () -> {
            alive.run();
            String caBundle = Trees.string(Trees.list(kubectl.json("get", "mutatingwebhookconfiguration", NAME), "webhooks").get(0),
                    "clientConfig", "caBundle");
            return caBundle != null && !caBundle.isEmpty();
        });
    }

    /** Deletes the loopback configuration; the manifests' own comes back in its place. */
    static void restore(KubeEnvironment env) {
        env.kubectl().ok("delete", "mutatingwebhookconfiguration", NAME, "--ignore-not-found");
        env.applyManifests().assertOk();
    }

    /** A fresh namespace labeled for injection, returned once a pod created there is injected. */
    static String labeledNamespace(KubeEnvironment env, Pods pods, String prefix) {
        String namespace = env.freshNamespace(prefix);
        env.kubectl().ok("label", "namespace", namespace, LABEL);
        pods.awaitServiceAccount(namespace);
        // The API server reads namespace labels from its informer: wait until a pod there is injected.
        Poll.until("pods in " + namespace + " to be injected", PROCESSING, () -> Pods.injected(pods.create(namespace,
                "probe-" + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36))));
        return namespace;
    }
}
